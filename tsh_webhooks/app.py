"""`create_app(settings)`: the Zoho webhook receiver and ops API as a FastAPI application.

Imports tsh_db, the entity registry (plain data) and the web stack, never Dagster: the
receiver must keep accepting webhooks while the pipelines are down or being deployed.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_db.engine import get_engine
from tsh_webhooks.metrics import Metrics
from tsh_webhooks.ops import admin_router, open_router
from tsh_webhooks.orders import orders_router, outbox_router
from tsh_webhooks.receiver import router as webhook_router
from tsh_webhooks.rejections import Rejections
from tsh_webhooks.settings import Settings
from tsh_webhooks.signature import Verifier

log = logging.getLogger(__name__)

DESCRIPTION = """
Receives Zoho Books and Inventory webhooks and serves the sync status.

Each delivery is verified (`X-Zoho-Webhook-Signature`: HMAC-SHA256 under one of
`ZOHO_WEBHOOK_SECRETS` of the sorted query parameters and form fields and the JSON body, as
Zoho Finance signs), deduplicated, and written to `tds_inbox_events` together with its
`tds_sync_queue` row in one transaction; the 2xx comes only after the commit, and a 503 with
`Retry-After` when the database is down, so Zoho redelivers and nothing is lost. Refused
deliveries are listed by `GET /api/zoho/webhooks/rejections`. The ops endpoints need
`Authorization: Bearer <ADMIN_API_TOKEN>`; `/health` and `/metrics` are open.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="TSH Zoho webhook receiver", version="1.0.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.engine = get_engine(settings.engine_url)
    app.state.metrics = Metrics(app.state.engine)
    app.state.verifier = Verifier(settings.webhook_secrets)
    app.state.rejections = Rejections()
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.include_router(webhook_router)
    app.include_router(admin_router)
    app.include_router(open_router)
    app.include_router(orders_router)
    app.include_router(outbox_router)
    return app


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed in the database: %s", request.method, request.url.path,
              getattr(exc, "orig", exc))  # fmt: skip
    retry_after = request.app.state.settings.retry_after_seconds
    return JSONResponse(
        {"detail": "The database is unavailable; try again shortly (see GET /health)."},
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )
