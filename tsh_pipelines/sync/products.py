"""Products from the Books item listing, and how stock totals are written.

Books is where items come from; what only Inventory knows (stock, the items Books does not
have) comes from the Inventory step (`stock.py`), which runs beside the Books work. Stock
totals have a version of their own, Inventory's, so the two never overwrite each other.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import wins
from tsh_db.schema import products
from tsh_db.types import UTCDateTime
from tsh_db.writes import write_rows
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import coerce, product_row
from tsh_pipelines.sync.replicate import (
    FULL_REFRESH,
    INCREMENTAL,
    confirm_deletes,
    list_params,
    note_page,
)
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from tsh_pipelines.zoho.timefmt import parse_zoho_time

PRODUCTS = BY_NAME["products"]
STOCK = ("stock_on_hand", "available_stock", "actual_available_stock")


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
    if mode == FULL_REFRESH:
        # the items only Inventory has are confirmed by the Inventory listing (stock.py)
        books = products.c.source != INVENTORY
        confirm_deletes(client, engine, PRODUCTS, seen, totals, log=log, where=books)
    totals.watermark = listing.cursor(previous)
    set_watermark(engine, "products", totals.watermark, full=mode == FULL_REFRESH)
    return totals


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
