"""Asking for items' stock to be refreshed: the document write's half of `stock_refresh`.

Its own module so the write path (`records`) can schedule without importing the refresh,
which itself writes through `records`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

from tsh_db.dialect import upsert
from tsh_db.schema import tds_stock_refresh
from tsh_db.types import utcnow


def schedule(conn: Connection, item_ids: Iterable[str | None], reason: str) -> int:
    """Ask for these items' stock to be refreshed (in the caller's transaction)."""
    now = utcnow()
    rows = [{"item_zoho_id": str(i), "requested_at": now, "reason": reason[:64]}
            for i in sorted({str(i) for i in item_ids if i})]  # fmt: skip
    if rows:
        upsert(conn, tds_stock_refresh, rows, ["item_zoho_id"], ignore_for_change=())
    return len(rows)
