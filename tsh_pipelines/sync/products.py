"""Products, Books first: the Books listing, then one Inventory pass for stock and the rest.

The Inventory pass serves two needs with one listing: stock totals for every item, and the
full record of items that exist only in Inventory. Per-warehouse stock needs one Inventory
detail call per item, so it is fetched only for items whose Inventory record changed since
their warehouse stock was stored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import upsert, wins
from tsh_db.schema import product_warehouse_stock, products
from tsh_db.types import UTCDateTime, utcnow
from tsh_db.writes import write_rows
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import coerce, product_row
from tsh_pipelines.sync.replicate import (
    FULL_REFRESH,
    INCREMENTAL,
    OVERLAP,
    confirm_deletes,
    list_params,
    note_page,
)
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from tsh_pipelines.zoho.catalog import inventory_item, unless_gone
from tsh_pipelines.zoho.timefmt import format_zoho_time, parse_zoho_time

PRODUCTS = BY_NAME["products"]
WAREHOUSE_STOCK = BY_NAME["product_warehouse_stock"]
STOCK = ("stock_on_hand", "available_stock", "actual_available_stock")
INVENTORY_STATE = "products_inventory"  # the Inventory pass keeps a watermark of its own


def stock_values(record: dict, now: datetime) -> dict[str, Any]:
    values = {c: coerce(record.get(c), products.c[c].type) for c in STOCK}
    values["inventory_modified_time"] = parse_zoho_time(record.get("last_modified_time"))
    values["stock_synced_at"] = now
    return values


def sync_products(
    client: ZohoClient,
    engine: Engine,
    *,
    mode: str = INCREMENTAL,
    log: logging.Logger | logging.LoggerAdapter,
) -> SyncTotals:
    previous = get_watermark(engine, "products")
    totals = SyncTotals("products", mode, watermark=previous)
    seen: set[str] = set()
    params = list_params(engine, PRODUCTS, mode, None, None)
    listing = Listing(client, BOOKS, PRODUCTS.path, "items", "item_id", params)
    for received_at, records in listing:
        totals.pages += 1
        rows = [product_row(r, BOOKS, received_at) for r in records]
        with engine.begin() as conn:
            totals.counts += write_rows(conn, products, rows).counts
            refresh_catalog(conn, [r["zoho_id"] for r in rows])
        note_page(totals, PRODUCTS, rows, seen, listing)
        log.info("products (books): page %d, %s rows", totals.pages, f"{totals.records:,}")
    inventory_watermark = inventory_pass(client, engine, mode, totals, seen, log)
    if mode == FULL_REFRESH:
        confirm_deletes(client, engine, PRODUCTS, seen, totals, log=log)
    totals.watermark = listing.cursor(previous)
    set_watermark(engine, "products", totals.watermark, full=mode == FULL_REFRESH)
    set_watermark(engine, INVENTORY_STATE, inventory_watermark, full=mode == FULL_REFRESH)
    return totals


def inventory_pass(
    client: ZohoClient,
    engine: Engine,
    mode: str,
    totals: SyncTotals,
    seen: set[str],
    log: logging.Logger | logging.LoggerAdapter,
) -> datetime | None:
    """The single Inventory listing: stock for Books items, full rows for Inventory-only ones."""
    previous = get_watermark(engine, INVENTORY_STATE)
    params: dict[str, Any] = {"filter_by": "Status.All"}
    if mode == INCREMENTAL and previous is not None:
        params["last_modified_time"] = format_zoho_time(previous - OVERLAP)
    stock_changed = inventory_only = 0
    listing = Listing(client, INVENTORY, "items", "items", "item_id", params)
    for page, (received_at, records) in enumerate(listing, 1):
        totals.pages += 1
        seen.update(str(r["item_id"]) for r in records)
        with engine.begin() as conn:
            extra, stock = _inventory_page(conn, records, received_at, totals)
        stock_changed += stock
        inventory_only += extra
        for record in records:
            listing.note(parse_zoho_time(record.get("last_modified_time")))
        log.info("products (inventory): page %d, %s items", page, f"{len(seen):,}")
    totals.extra.update(stock_rows_updated=stock_changed, inventory_only_items=inventory_only)
    return listing.cursor(previous)


# Stock has a version of its own: Inventory's last_modified_time, then the time it was read.
STOCK_WINS = wins(
    products,
    {"inventory_modified_time": bindparam("b_imt", type_=UTCDateTime()),
     "stock_synced_at": bindparam("b_read", type_=UTCDateTime())},
    "inventory_modified_time", received="stock_synced_at", tombstones=False,
)  # fmt: skip


STOCK_COLUMNS = (*STOCK, "inventory_modified_time", "stock_synced_at")
WRITE_STOCK = (
    update(products)
    .where(products.c.zoho_id == bindparam("b_id"), STOCK_WINS)
    .values({c: bindparam(f"v_{c}") for c in STOCK_COLUMNS})
)


def write_stock(conn: Connection, rows: list[dict]) -> int:
    """Stock totals of existing products, each under the version rule in one statement."""
    if not rows:
        return 0
    params = [
        {"b_id": r["zoho_id"], "b_imt": r["inventory_modified_time"],
         "b_read": r["stock_synced_at"], **{f"v_{c}": r[c] for c in STOCK_COLUMNS}}
        for r in rows
    ]  # fmt: skip
    refresh_catalog(conn, [r["zoho_id"] for r in rows])
    return conn.execute(WRITE_STOCK, params).rowcount or 0


def _inventory_page(
    conn: Connection, records: list[dict], received_at: datetime, totals: SyncTotals
) -> tuple[int, int]:
    """Upsert Inventory-only items whole; update stock of the others where it changed."""
    ids = [str(r["item_id"]) for r in records]
    compared = (*STOCK, "inventory_modified_time")
    stored = {
        row.zoho_id: row
        for row in conn.execute(
            select(products.c.zoho_id, products.c.source, *(products.c[c] for c in compared))
            .where(products.c.zoho_id.in_(ids))
        )
    }  # fmt: skip
    extra_rows, stock_rows = [], []
    for record in records:
        key, values = str(record["item_id"]), stock_values(record, received_at)
        old = stored.get(key)
        if old is None or old.source == INVENTORY:
            extra_rows.append({**product_row(record, INVENTORY, received_at), **values})
        elif any(values[c] != getattr(old, c) for c in compared):
            stock_rows.append({"zoho_id": key, **values})
    if extra_rows:
        quiet = ("synced_at", "stock_synced_at")
        totals.counts += write_rows(conn, products, extra_rows, ignore_for_change=quiet).counts
        refresh_catalog(conn, [r["zoho_id"] for r in extra_rows])
    return len(extra_rows), write_stock(conn, stock_rows)


def sync_warehouse_stock(
    client: ZohoClient, engine: Engine, *, log: logging.Logger | logging.LoggerAdapter
) -> SyncTotals:
    """Per-warehouse stock, one Inventory detail call per item that changed since last time."""
    totals = SyncTotals("product_warehouse_stock", INCREMENTAL)
    stale = and_(
        products.c.deleted_at.is_(None),
        products.c.inventory_modified_time.is_not(None),
        or_(
            products.c.warehouse_stock_modified_time.is_(None),
            products.c.warehouse_stock_modified_time != products.c.inventory_modified_time,
        ),
    )
    with engine.connect() as conn:
        todo = conn.execute(
            select(products.c.zoho_id, products.c.inventory_modified_time).where(stale)
        ).all()
    log.info("product_warehouse_stock: %d items changed since their last fetch", len(todo))
    for n, (zoho_id, modified) in enumerate(todo, 1):
        # an item deleted since it was listed: its delete arrives by webhook or refresh
        record = unless_gone(lambda z=zoho_id: inventory_item(client, z))
        if record is not None:
            read_at = parse_zoho_time(record.get("last_modified_time")) or modified
            store_warehouse_stock(engine, zoho_id, record, read_at, totals)
        if n % 50 == 0 or n == len(todo):
            log.info("product_warehouse_stock: %d of %d items", n, len(todo))
    totals.details_fetched = len(todo)
    return totals


def warehouse_rows(zoho_id: str, record: dict, now: datetime) -> list[dict]:
    """Rows from `warehouses[]`, or `locations[]` for organisations moved to Locations."""
    rows = []
    for w in record.get("warehouses") or []:
        rows.append(_warehouse_row(zoho_id, w, "warehouse", now))
    for loc in record.get("locations") or []:
        rows.append(_warehouse_row(zoho_id, loc, "location", now))
    return rows


def _warehouse_row(zoho_id: str, w: dict, prefix: str, now: datetime) -> dict:
    t = product_warehouse_stock.c
    return {
        "product_zoho_id": zoho_id,
        "warehouse_zoho_id": str(w[f"{prefix}_id"]),
        "warehouse_name": w.get(f"{prefix}_name"),
        **{c: coerce(w.get(f"{prefix}_{c}"), t[c].type) for c in STOCK},
        "synced_at": now,
    }


def store_warehouse_stock(
    engine: Engine, zoho_id: str, record: dict, modified: datetime | None, totals: SyncTotals
) -> bool:
    """Per-warehouse stock of one item, read at one version: written only if that version
    (then the read time) is not older than the stored one, decided on the product row in the
    same transaction, so two runs cannot interleave their rows."""
    now = utcnow()
    rows = warehouse_rows(zoho_id, record, now)
    t = product_warehouse_stock
    with engine.begin() as conn:
        claimed = conn.execute(
            update(products)
            .where(products.c.zoho_id == zoho_id, WAREHOUSE_STOCK_WINS)
            .values(warehouse_stock_modified_time=modified, warehouse_stock_synced_at=now),
            {"b_wmt": modified, "b_wread": now},
        ).rowcount
        if not claimed:
            return False
        totals.counts += upsert(conn, t, rows, ["product_zoho_id", "warehouse_zoho_id"])
        listed = [r["warehouse_zoho_id"] for r in rows]
        conn.execute(
            delete(t).where(t.c.product_zoho_id == zoho_id, t.c.warehouse_zoho_id.not_in(listed))
        )
    totals.records += len(rows)
    return True


WAREHOUSE_STOCK_WINS = wins(
    products,
    {"warehouse_stock_modified_time": bindparam("b_wmt", type_=UTCDateTime()),
     "warehouse_stock_synced_at": bindparam("b_wread", type_=UTCDateTime())},
    "warehouse_stock_modified_time", received="warehouse_stock_synced_at", tombstones=False,
)  # fmt: skip
