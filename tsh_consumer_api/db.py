"""The API's database access: an engine that cannot write, and one read per request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.engine import Engine, Row, make_url
from sqlalchemy.sql import Executable
from starlette.concurrency import run_in_threadpool

from tsh_db.engine import get_engine


def open_read_only_engine(url: str, statement_timeout_ms: int = 5000) -> Engine:
    """SQLite opens the file with mode=ro; PostgreSQL sessions start read-only.

    On PostgreSQL the `tsh_consumer` role (SELECT on three tables) is the real guard; the
    read-only session is the second one, for deployments still connecting as a writer. A
    statement timeout keeps one slow or blocked query from holding a pooled connection.
    Both are libpq start-up options, so every pooled connection has them from its first query.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        options = f"-c default_transaction_read_only=on -c statement_timeout={statement_timeout_ms}"
        url = parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)
    return get_engine(url, read_only=True)


async def fetch(
    request: Request, stmt: Executable, params: dict[str, Any] | None = None
) -> list[Row[Any]]:
    """Run one read on a pooled connection in a worker thread; rolled back at the end.

    The routes are async and make this their only worker-thread hop: checkout, query and
    return to the pool together. (A sync route with a generator dependency makes four: the
    dependency's entry and exit, the route, and FastAPI's check of what it returned.)
    """
    return await run_in_threadpool(_fetch, request.app.state.engine, stmt, params)


def _fetch(engine: Engine, stmt: Executable, params: dict[str, Any] | None) -> list[Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(stmt, params).all())
