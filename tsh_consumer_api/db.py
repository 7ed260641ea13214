"""The API's database access: an engine that cannot write, and a connection per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.engine import Connection, Engine, make_url

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


def connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one connection per request, its transaction rolled back at the end."""
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        yield conn
