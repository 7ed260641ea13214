"""The Inventory step: stock totals, per-warehouse stock and the items only Inventory has.

It needs only Inventory, so it runs beside the Books work in the `zoho_inventory` pool (it
starts once the Books item listing has said which items Books has). One Inventory listing,
200 items a call, serves three needs: every item's stock totals, the full record of items
Books does not have, and, for organisations on Zoho Locations (whose listing carries
`locations[]`), per-location stock with no further call. Only items whose listing carries no
per-location figures get an Inventory detail call, and only when their Inventory record
changed since their warehouse stock was stored.
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
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import coerce, product_row
from tsh_pipelines.sync.products import PRODUCTS, STOCK, stock_values, write_stock
from tsh_pipelines.sync.records import delete_records
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, OVERLAP, confirm_deletes
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
from tsh_pipelines.zoho import INVENTORY, ZohoClient
from tsh_pipelines.zoho.catalog import inventory_item, unless_gone
from tsh_pipelines.zoho.timefmt import parse_zoho_time

Log = logging.Logger | logging.LoggerAdapter
INVENTORY_STATE = "products_inventory"  # the Inventory listing keeps a watermark of its own


def sync_stock(
    client: ZohoClient, engine: Engine, *, mode: str = INCREMENTAL, log: Log
) -> SyncTotals:
    totals = SyncTotals("product_warehouse_stock", mode)
    seen: set[str] = set()
    watermark = inventory_listing(client, engine, mode, totals, seen, log)
    if mode == FULL_REFRESH:
        # Only the items Inventory alone has are this listing's to confirm; Books items
        # are confirmed by the Books listing of `products`.
        only = products.c.source == INVENTORY
        confirm_deletes(client, engine, PRODUCTS, seen, totals, log=log, where=only)
    todo = stale_warehouse_stock(engine)
    log.info("product_warehouse_stock: %d items need their per-warehouse stock read", len(todo))
    totals.details_fetched = len(todo)
    fetch_warehouse_stock(client, engine, todo, totals, log)
    set_watermark(engine, INVENTORY_STATE, watermark, full=mode == FULL_REFRESH)
    return totals


def inventory_listing(
    client: ZohoClient, engine: Engine, mode: str, totals: SyncTotals, seen: set[str], log: Log
) -> datetime | None:
    """The single Inventory listing, each page written in one transaction; its new cursor."""
    previous = get_watermark(engine, INVENTORY_STATE)
    params: dict[str, Any] = {"filter_by": "Status.All"}
    if mode == INCREMENTAL and previous is not None:
        params["last_modified_time"] = previous - OVERLAP
    counts = {"stock_rows_updated": 0, "inventory_only_items": 0, "location_stock_items": 0}
    listing = Listing(client, INVENTORY, "items", "items", "item_id", params)
    for page, (received_at, records) in enumerate(listing, 1):
        totals.pages += 1
        seen.update(str(r["item_id"]) for r in records)
        with engine.begin() as conn:
            for key, n in _inventory_page(conn, records, received_at, totals).items():
                counts[key] += n
        for record in records:
            listing.note(parse_zoho_time(record.get("last_modified_time")))
        log.info("product_warehouse_stock: Inventory page %d, %s items", page, f"{len(seen):,}")
    totals.extra.update(counts)
    return listing.cursor(previous)


def _inventory_page(
    conn: Connection, records: list[dict], received_at: datetime, totals: SyncTotals
) -> dict[str, int]:
    """Inventory-only items whole; stock of the others where it changed; per-location stock
    where the listing carries it."""
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
            # the item row under the product rule, its stock under the stock rule (below):
            # a page read before a stock webhook and written after it keeps the newer stock
            extra_rows.append(product_row(record, INVENTORY, received_at))
        if old is None or any(values[c] != getattr(old, c) for c in compared):
            stock_rows.append({"zoho_id": key, **values})
    if extra_rows:
        totals.counts += write_rows(conn, products, extra_rows).counts
        refresh_catalog(conn, [r["zoho_id"] for r in extra_rows])
    located = 0
    for record in records:
        if isinstance(record.get("locations"), list):
            version = parse_zoho_time(record.get("last_modified_time"))
            located += claim_warehouse_stock(
                conn, str(record["item_id"]), record, version, received_at, totals
            )
    return {"inventory_only_items": len(extra_rows), "location_stock_items": located,
            "stock_rows_updated": write_stock(conn, stock_rows)}  # fmt: skip


def stale_warehouse_stock(engine: Engine) -> dict[str, datetime | None]:
    """Live items whose per-warehouse stock was read at another Inventory version."""
    stale = and_(
        products.c.deleted_at.is_(None),
        products.c.inventory_modified_time.is_not(None),
        or_(
            products.c.warehouse_stock_modified_time.is_(None),
            products.c.warehouse_stock_modified_time != products.c.inventory_modified_time,
        ),
    )
    with engine.connect() as conn:
        query = select(products.c.zoho_id, products.c.inventory_modified_time).where(stale)
        return dict(conn.execute(query.order_by(products.c.zoho_id)).all())


def fetch_warehouse_stock(
    client: ZohoClient,
    engine: Engine,
    todo: dict[str, datetime | None],
    totals: SyncTotals,
    log: Log,
    with_totals: bool = False,
) -> set[str]:
    """Per-warehouse stock of these items (and, `with_totals`, their totals again), one
    Inventory detail call each (Zoho has no batch for it); the ids settled: stored, or
    tombstoned on Zoho's 404."""
    done: set[str] = set()
    gone: list[str] = []
    for n, zoho_id in enumerate(todo, 1):
        record = unless_gone(lambda z=zoho_id: inventory_item(client, z))
        if record is None:
            gone.append(zoho_id)
        elif with_totals:
            totals.counts.updated += store_item_stock(engine, zoho_id, record, utcnow(), totals)[0]
            done.add(zoho_id)
        else:
            read = parse_zoho_time(record.get("last_modified_time")) or todo[zoho_id]
            if store_warehouse_stock(engine, zoho_id, record, read, totals):
                done.add(zoho_id)
        if n % 50 == 0 or n == len(todo):
            log.info("product_warehouse_stock: %d of %d items", n, len(todo))
    if gone:
        with engine.begin() as conn:
            totals.soft_deleted += delete_records(conn, PRODUCTS, gone, client.now())
    return done | set(gone)


def store_item_stock(
    engine: Engine, zoho_id: str, record: dict, read_at: datetime, totals: SyncTotals
) -> tuple[int, bool]:
    """An Inventory item's stock totals and per-warehouse stock, read at `read_at`, each under
    its stock rule: (totals rows written, whether the per-warehouse rows were)."""
    values = stock_values(dict(record), read_at)
    with engine.begin() as conn:
        written = write_stock(conn, [{"zoho_id": zoho_id, **values}])
    modified = values["inventory_modified_time"]
    return written, store_warehouse_stock(engine, zoho_id, dict(record), modified, totals, read_at)


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
    engine: Engine,
    zoho_id: str,
    record: dict,
    modified: datetime | None,
    totals: SyncTotals,
    read_at: datetime | None = None,
) -> bool:
    """Per-warehouse stock of one item read at `read_at` (a delivery's arrival; default
    just now), in a transaction of its own."""
    with engine.begin() as conn:
        return claim_warehouse_stock(conn, zoho_id, record, modified, read_at or utcnow(), totals)


def claim_warehouse_stock(
    conn: Connection,
    zoho_id: str,
    record: dict,
    modified: datetime | None,
    read_at: datetime,
    totals: SyncTotals,
) -> bool:
    """Per-warehouse stock of one item, read at one version: written only if that version
    (then the read time) is not older than the stored one, decided on the product row in the
    same transaction, so two runs cannot interleave their rows."""
    rows = warehouse_rows(zoho_id, record, read_at)
    t = product_warehouse_stock
    claimed = conn.execute(
        update(products)
        .where(products.c.zoho_id == zoho_id, WAREHOUSE_STOCK_WINS)
        .values(warehouse_stock_modified_time=modified, warehouse_stock_synced_at=read_at),
        {"b_wmt": modified, "b_wread": read_at},
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
