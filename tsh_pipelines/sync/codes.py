"""Price list codes: the stable handle the consumer API selects on (`consumer_iqd`).

A code is made from the name and currency when a price book is first stored and kept across
renames (renaming "Consumer" must not empty the app). Codes are unique among live rows: a
new book whose code a live book already holds gets its id appended, so it can never take
over another book's prices by accident.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from tsh_db.schema import price_lists


def price_list_code(name: str, currency: str | None) -> str:
    """`Consumer` + `IQD` → `consumer_iqd`."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"{slug}_{currency.lower()}" if currency else slug


def assign_codes(conn: Connection, rows: list[dict]) -> None:
    """Give each row its code: the stored one if the book is known, else a free new one."""
    t = price_lists
    ids = [r["zoho_id"] for r in rows]
    stored = dict(conn.execute(select(t.c.zoho_id, t.c.code).where(t.c.zoho_id.in_(ids))).all())
    taken = dict(
        conn.execute(
            select(t.c.code, t.c.zoho_id).where(t.c.deleted_at.is_(None), t.c.zoho_id.not_in(ids))
        ).all()
    )
    for row in rows:
        code = stored.get(row["zoho_id"]) or price_list_code(row["name"], row["currency_code"])
        if taken.get(code, row["zoho_id"]) != row["zoho_id"]:
            code = f"{code}_{row['zoho_id']}"[:64]
        row["code"] = code
        taken[code] = row["zoho_id"]


def free_codes(conn: Connection, deleted_ids: list[str]) -> None:
    """Codes of deleted books go to the live book that would have had them: a Consumer book
    created before the old one's delete arrived holds `consumer_iqd_<id>` until then."""
    t = price_lists
    freed = set(conn.scalars(select(t.c.code).where(t.c.zoho_id.in_(deleted_ids))))
    if not freed:
        return
    waiting = conn.execute(
        select(t.c.zoho_id, t.c.name, t.c.currency_code, t.c.code)
        .where(t.c.deleted_at.is_(None))
        .order_by(t.c.zoho_created_time, t.c.zoho_id)
    ).all()  # fmt: skip
    holders = {row.code for row in waiting}
    for row in waiting:
        natural = price_list_code(row.name, row.currency_code)
        if natural in freed and natural not in holders and row.code.startswith(natural + "_"):
            conn.execute(update(t).where(t.c.zoho_id == row.zoho_id).values(code=natural))
            holders.add(natural)
