"""The API's database access: an engine that cannot write, and a connection per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from tsh_db.engine import get_engine, is_postgres


def open_read_only_engine(url: str) -> Engine:
    """SQLite opens the file with mode=ro; PostgreSQL sessions default to read-only.

    On PostgreSQL the `tsh_consumer` role (SELECT on three tables) is the real guard; the
    read-only session is the second one, for deployments still connecting as a writer.
    """
    engine = get_engine(url, read_only=True)
    if is_postgres(engine) and not event.contains(engine, "connect", _read_only_session):
        event.listen(engine, "connect", _read_only_session)
    return engine


def _read_only_session(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("SET SESSION default_transaction_read_only = on")
    finally:
        cursor.close()
    # psycopg2 opened a transaction for the SET; a rollback would undo it, so commit it.
    dbapi_conn.commit()


def connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one connection per request, its transaction rolled back at the end."""
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        yield conn
