"""The catalogue rows the rules give, and making the stored rows match them, set-based.

The rules (handbook, "Consumer App Product Filtering"): active, not deleted, at least
`CONSUMER_MIN_STOCK` available, and a price above zero in IQD in the live price list whose
code is `CONSUMER_PRICELIST_CODE`; a price row without a currency takes the list's. There is
deliberately no path to `products.price`: a base price shown to consumers is an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select, true
from sqlalchemy.engine import Connection, Row

from tsh_db.dialect import upsert
from tsh_db.schema import consumer_catalog, product_images, product_prices, products
from tsh_db.search import search_text
from tsh_db.types import utcnow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # created_time when Zoho gave none
CHUNK = 500
COMPARED = ("name", "sku", "category", "image_url", "price", "stock", "created_time",
            "search_text")  # fmt: skip


@dataclass
class CatalogChange:
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    rebuilt: bool = False
    total: int | None = None
    version: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.removed)


def visible(consumer: Row, min_stock: int) -> Select:
    """The rules as one statement: every product a consumer may see, with its price.

    `product_prices` is unique on (price list, product), so the join cannot duplicate one.
    """
    p, pp, pi = products, product_prices, product_images
    in_iqd = pp.c.currency == "IQD"
    if consumer.currency_code == "IQD":  # a price row without a currency takes the list's
        in_iqd = or_(in_iqd, pp.c.currency.is_(None))
    priced = and_(pp.c.product_zoho_id == p.c.zoho_id, pp.c.price_list_zoho_id == consumer.zoho_id)
    # The stored picture, while Zoho still lists an image for the item: one deleted in Zoho
    # is gone with the products write that says so (images: tsh_pipelines.sync.images).
    pictured = and_(
        pi.c.product_zoho_id == p.c.zoho_id,
        or_(p.c.image_document_id.is_not(None), p.c.image_name.is_not(None)),
    )
    return (
        select(
            p.c.zoho_id.label("product_zoho_id"), p.c.name, p.c.sku, p.c.category,
            pi.c.path.label("image_url"), pp.c.price, p.c.actual_available_stock.label("stock"),
            p.c.zoho_created_time,
        )
        .select_from(p.join(pp, priced).outerjoin(pi, pictured))
        .where(
            p.c.is_active == true(), p.c.deleted_at.is_(None),
            p.c.actual_available_stock >= min_stock,
            pp.c.deleted_at.is_(None), pp.c.price > 0, in_iqd,
        )
    )  # fmt: skip


def _chunks(scope: list[str] | None) -> list[list[str] | None]:
    return [None] if scope is None else [scope[i : i + CHUNK] for i in range(0, len(scope), CHUNK)]


def derive(
    conn: Connection, consumer: Row | None, min_stock: int, scope: list[str] | None
) -> list[dict[str, Any]]:
    """The catalogue rows the rules give for `scope` (None: all products)."""
    if consumer is None:
        return []  # no live consumer price list: nothing is visible
    query = visible(consumer, min_stock)
    now = utcnow()
    rows = []
    for chunk in _chunks(scope):
        chosen = query if chunk is None else query.where(products.c.zoho_id.in_(chunk))
        for r in conn.execute(chosen).mappings():
            row = dict(r)
            row["created_time"] = row.pop("zoho_created_time") or EPOCH
            row["search_text"] = search_text(row["name"], row["sku"])
            row["synced_at"] = now
            rows.append(row)
    return rows


def stored_rows(conn: Connection, scope: list[str] | None) -> dict[str, Row]:
    c = consumer_catalog.c
    query = select(c.product_zoho_id, *(c[name] for name in COMPARED))
    found: dict[str, Row] = {}
    for chunk in _chunks(scope):
        chosen = query if chunk is None else query.where(c.product_zoho_id.in_(chunk))
        found.update((r.product_zoho_id, r) for r in conn.execute(chosen))
    return found


def differences(
    rows: list[dict[str, Any]], stored: dict[str, Row]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows new or shown differently, ids no longer visible)."""
    changed = [
        r for r in rows
        if (old := stored.get(r["product_zoho_id"])) is None
        or any(r[c] != getattr(old, c) for c in COMPARED)
    ]  # fmt: skip
    gone = stored.keys() - {r["product_zoho_id"] for r in rows}
    return changed, sorted(gone)


def recompute(
    conn: Connection, consumer: Row | None, min_stock: int, scope: list[str] | None
) -> CatalogChange:
    """Make the catalogue rows of `scope` what the rules give, writing only the differences:
    a whole price book stored for one changed rate writes one catalogue row."""
    stored = stored_rows(conn, scope)
    changed, gone = differences(derive(conn, consumer, min_stock, scope), stored)
    upsert(conn, consumer_catalog, changed, ["product_zoho_id"])
    c = consumer_catalog.c
    for chunk in _chunks(gone) if gone else []:
        conn.execute(delete(consumer_catalog).where(c.product_zoho_id.in_(chunk)))
    inserted = sum(1 for r in changed if r["product_zoho_id"] not in stored)
    return CatalogChange(inserted=inserted, updated=len(changed) - inserted, removed=len(gone))
