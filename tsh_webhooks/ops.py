"""Ops endpoints: open health and metrics, and the admin-token-protected sync status API,
the refused deliveries and dead-letter replay."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_db.queue import ReplaySelectionError, replay_dead_letters
from tsh_pipelines.entities import BY_NAME
from tsh_webhooks import stats
from tsh_webhooks.models import (
    ErrorMessage,
    Health,
    InboxStats,
    InvestigationDashboard,
    Rejections,
    ReplayRequest,
    ReplayResult,
    SyncRuns,
    SyncStats,
)
from tsh_webhooks.rejections import KEPT
from tsh_webhooks.settings import Settings

log = logging.getLogger(__name__)

open_router = APIRouter(tags=["operations"])
bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <ADMIN_API_TOKEN>")


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    settings: Settings = request.app.state.settings
    if not settings.admin_api_token:
        raise HTTPException(
            503,
            "ADMIN_API_TOKEN is not configured on this receiver, so the ops endpoints are off. "
            "Set it in the receiver's environment and restart it.",
        )
    given = credentials.credentials.encode() if credentials else b""
    # Bytes, not str: compare_digest refuses non-ASCII strings, and the header is user input.
    if not hmac.compare_digest(given, settings.admin_api_token.encode()):
        raise HTTPException(
            401,
            "Missing or wrong admin token: send the header Authorization: Bearer "
            "<ADMIN_API_TOKEN>, with the token the receiver was started with.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def connection(request: Request) -> Iterator[Connection]:
    with request.app.state.engine.connect() as conn:
        yield conn


AUTH_ERRORS = {
    401: {"model": ErrorMessage, "description": "Missing or wrong admin token."},
    503: {"model": ErrorMessage, "description": "No ADMIN_API_TOKEN, or database unavailable."},
}
admin_router = APIRouter(tags=["operations"], dependencies=[Depends(require_admin)])
Conn = Annotated[Connection, Depends(connection)]


@open_router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable."}},
)
def health(request: Request) -> JSONResponse:
    """Runs a trivial query: 200 when the database answers, 503 when it does not."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (DBAPIError, PoolTimeout) as exc:
        # The reason goes to the log only: this endpoint is public.
        log.warning("health check: database unreachable: %s", getattr(exc, "orig", exc))
        body = Health(status="unavailable", database="unreachable")
        retry_after = str(request.app.state.settings.retry_after_seconds)
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": retry_after}
        )
    return JSONResponse(Health(status="ok", database="ok").model_dump())


@open_router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
def metrics(request: Request) -> Response:
    """Deliveries by route and outcome, and the queue depth by status read at scrape time."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@admin_router.get("/api/zoho/sync/stats", response_model=SyncStats, responses=AUTH_ERRORS)
def sync_stats(conn: Conn) -> SyncStats:
    """Queue counts by status and entity, and the mean delay from queued to completed."""
    return stats.sync_stats(conn)


@admin_router.get("/api/zoho/sync/runs", response_model=SyncRuns, responses=AUTH_ERRORS)
def sync_runs(
    request: Request,
    conn: Conn,
    limit: Annotated[int, Query(ge=1, le=100, description="How many runs, newest first.")] = 10,
) -> SyncRuns:
    """The latest tds_sync_runs rows."""
    return stats.sync_runs(conn, limit, request.app.state.settings.dagster_ui_url)


@admin_router.get(
    "/api/zoho/webhooks/inbox/stats", response_model=InboxStats, responses=AUTH_ERRORS
)
def inbox_stats(conn: Conn) -> InboxStats:
    """Inbox events received in the last 24 hours, and the share completed."""
    return stats.inbox_stats(conn)


@admin_router.get("/api/zoho/webhooks/rejections", response_model=Rejections, responses=AUTH_ERRORS)
def rejections(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=KEPT, description="How many, newest first.")] = 50,
) -> Rejections:
    """The last deliveries this receiver process refused (kept in memory, per process): time,
    route, status and reason, how the signature was written and which signed strings were
    tried, content type, body type and size, the query parameter names. Never the body, a
    header value or a secret. The first place to look when a Zoho webhook does not arrive."""
    kept = request.app.state.rejections
    return Rejections(kept=kept.kept, rejections=kept.recent(limit))


@admin_router.get(
    "/api/admin/data-investigation", response_model=InvestigationDashboard, responses=AUTH_ERRORS
)
def data_investigation(
    conn: Conn,
    days: Annotated[int, Query(ge=0, le=366, description="Reports dated in the last N days.")] = 7,
) -> InvestigationDashboard:
    """The daily investigation reports, newest first, with counts by status."""
    return stats.investigation_dashboard(conn, days)


@admin_router.post(
    "/api/zoho/sync/dead-letters/replay",
    response_model=ReplayResult,
    responses={
        **AUTH_ERRORS,
        422: {"model": ErrorMessage, "description": "No selector, several, or unknown entity."},
    },
)
def replay(request: Request, body: ReplayRequest | None = None) -> ReplayResult:
    """Puts dead-letter queue rows back to pending, due now, with fresh attempts; the queue
    sensor applies them on its next tick. Select them with exactly one of `ids`, `entity` or
    `all: true`. The Dagster job `replay_dead_letters` does the same."""
    body = body or ReplayRequest()
    if body.entity and body.entity not in BY_NAME:
        raise HTTPException(
            422, f"Unknown entity {body.entity!r}: use one of {', '.join(sorted(BY_NAME))}."
        )
    try:
        count = replay_dead_letters(
            request.app.state.engine, ids=body.ids, entity=body.entity, every=body.all
        )
    except ReplaySelectionError as exc:
        raise HTTPException(422, str(exc)) from None
    log.info("replayed %d dead letters (%s)", count, body.model_dump(exclude_defaults=True))
    return ReplayResult(replayed=count)
