"""Asking for items' stock to be refreshed: the document write's half of `stock_refresh`.

Its own module so the write path (`records`) can schedule without importing the refresh,
which itself writes through `records`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from tsh_db.schema import tds_stock_refresh
from tsh_db.types import utcnow


def schedule(conn: Connection, moved: Mapping[str | None, datetime | None], reason: str) -> int:
    """Ask for these items' stock to be refreshed (in the caller's transaction); `moved`
    maps each item to the version of the document that moved it (None: now)."""
    now, t = utcnow(), tds_stock_refresh
    rows = [{"item_zoho_id": str(i), "requested_at": now, "moved_at": at or now,
             "reason": reason[:64]} for i, at in sorted(moved.items(), key=_key) if i]  # fmt: skip
    if not rows:
        return 0
    stmt: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(t)
    later = stmt.excluded.moved_at > t.c.moved_at
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["item_zoho_id"],
            set_={"requested_at": stmt.excluded.requested_at, "reason": stmt.excluded.reason,
                  "moved_at": case((later | t.c.moved_at.is_(None), stmt.excluded.moved_at),
                                   else_=t.c.moved_at)},
        ),
        rows,
    )  # fmt: skip
    return len(rows)


def _key(pair: tuple[Any, Any]) -> str:
    return str(pair[0])
