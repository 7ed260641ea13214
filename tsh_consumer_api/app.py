"""`create_app(settings)`: the read-only consumer price API as a FastAPI application.

Imports only tsh_db and the web stack, never Dagster or tsh_pipelines, so it starts fast
and keeps serving prices while the pipelines are down or being deployed.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_consumer_api.auth import TokenKeys
from tsh_consumer_api.bff import bff_router
from tsh_consumer_api.caching import cache_control
from tsh_consumer_api.db import open_read_only_engine
from tsh_consumer_api.media import media_app
from tsh_consumer_api.orders import orders_router
from tsh_consumer_api.routes import health_router, products_router
from tsh_consumer_api.settings import Settings
from tsh_consumer_api.versions import CatalogVersion, ResponseCache
from tsh_db.media import MEDIA_PREFIX

log = logging.getLogger(__name__)

DESCRIPTION = """
Prices for the TSH consumer app. A product is listed only when it is active, not deleted,
has at least `CONSUMER_MIN_STOCK` units available and a positive IQD price in the consumer
price list (`CONSUMER_PRICELIST_CODE`, default `consumer_iqd`). There is no fallback to the
base price. Answers come from the consumer catalogue, which every sync and webhook batch
keeps current in the transaction that changes a product, a price or stock.

Two contracts over the same statements: `/api/consumer/...`, this API's own (pages by
`page` numbers, or `cursor`, each page's `next_cursor`, for keyset pagination), and
`/api/bff/mobile/consumer/...`, the one TSH's Flutter app parses (`skip`/`limit` pages with
`pagination.has_more`, `{"product": ...}`, category names). Pictures are served under
`/media/` with an immutable cache header: a changed picture gets a new URL.
Responses carry `Cache-Control` (a CDN may keep them `max-age` seconds) and a strong `ETag`
derived from the catalogue version: send `If-None-Match` to get a `304` without a body when
nothing changed. A change reaches answers within about a second.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    docs = settings.docs_enabled
    app = FastAPI(
        title="TSH consumer price API",
        version="2.0.0",
        description=DESCRIPTION,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.engine = open_read_only_engine(settings.database_url, settings.statement_timeout_ms)
    app.state.catalog = CatalogVersion(app.state.engine, settings.version_ttl_ms / 1000)
    app.state.responses = ResponseCache(settings.response_cache_size)
    app.state.cache_control = cache_control(settings)
    app.state.token_keys = TokenKeys.from_env()
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET"],
            allow_headers=["If-None-Match"],
            expose_headers=["ETag"],
            max_age=600,
        )
    app.add_exception_handler(DBAPIError, _database_error)
    # Every pooled connection busy for the pool's timeout: the same answer, not a 500.
    app.add_exception_handler(PoolTimeout, _database_error)
    app.include_router(products_router)
    app.include_router(bff_router)
    app.include_router(health_router)
    app.include_router(orders_router)
    app.mount(MEDIA_PREFIX.rstrip("/"), media_app(settings), name="media")
    return app


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    orig = getattr(exc, "orig", exc)
    log.error("%s %s failed in the database: %s", request.method, request.url.path, orig)
    return JSONResponse(
        {"detail": "The product database is unavailable; try again shortly."},
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )
