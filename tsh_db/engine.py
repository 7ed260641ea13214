"""Engine factory: one engine per URL per process, configured for the dialect."""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SAWarning

DEFAULT_SQLITE_PATH = Path(".tsh") / "tsh.db"

# SQLite has no decimal type; amounts come back as floats, which is acceptable for the
# embedded demo database. PostgreSQL keeps exact NUMERIC values.
warnings.filterwarnings("ignore", message=".*support Decimal objects natively", category=SAWarning)


def database_url(env_var: str = "DATABASE_URL") -> str:
    """The configured database URL, or the embedded SQLite file under `.tsh/`."""
    url = os.environ.get(env_var) or os.environ.get("DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def get_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    return _engine(url or database_url(), read_only)


@cache
def _engine(url: str, read_only: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    path = parsed.database
    if read_only:
        # A URI connection opened with mode=ro: the consumer API cannot write even by mistake.
        engine = create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30}
        )
    else:
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
    _configure_sqlite(engine, read_only)
    return engine


def _configure_sqlite(engine: Engine, read_only: bool) -> None:
    """WAL and a busy timeout: the receiver, Dagster runs and the API share one file.

    pysqlite's own transaction handling is switched off so that `BEGIN` is issued by us:
    writers take `BEGIN IMMEDIATE`, which serialises them up front instead of failing later
    when a read lock cannot be upgraded.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_postgres(engine_or_conn: object) -> bool:
    return engine_or_conn.dialect.name == "postgresql"  # type: ignore[attr-defined]
