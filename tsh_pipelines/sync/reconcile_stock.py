"""Stock against Zoho by value: one Inventory listing, hourly and in the daily reconciliation.

Whether a stock movement moves an item's `last_modified_time` is unconfirmed, so stock is
compared by value, not by version. The Inventory listing gives every item's stock totals
(and per-location stock for organisations on Locations, whose listing carries
`locations[]`). Drift is a total that differs from Zoho's, an Inventory version newer than
the stored one, or per-warehouse rows read at another version or not adding up to the listed
total. Repairs write totals under the stock version rule (`write_stock`) and read the
per-warehouse stock of just those items again (one Inventory call each; none with
locations). A stored figure newer than the listed one (a webhook during the listing) is not
drift: the same version read later wins, as everywhere.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsh_db.schema import product_warehouse_stock, products
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import product_row
from tsh_pipelines.sync.products import STOCK, stock_values, write_stock
from tsh_pipelines.sync.reconcile import (
    MISSING,
    Drift,
    Log,
    calls_since,
    count_live,
    reconcile_page,
)
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import fetch_warehouse_stock, store_warehouse_stock, warehouse_rows
from tsh_pipelines.zoho import INVENTORY, ZohoClient

PRODUCTS = BY_NAME["products"]
TOTALS, WAREHOUSES = "totals", "warehouses"
LIST_ALL = {"filter_by": "Status.All"}


def reconcile_stock(
    client: ZohoClient,
    engine: Engine,
    *,
    repair: bool,
    log: Log,
    books: set[str] | None = None,
    products: Drift | None = None,
) -> tuple[Drift, set[str]]:
    """Stock of every live product against one Inventory listing; (drift, ids listed).

    With `books` (the ids the Books listing returned) the items only Inventory has are
    reconciled as products too, into `products`; the stock job passes neither."""
    stock = Drift("stock", live=count_live(engine, PRODUCTS))
    before = Counter(client.stats.calls)
    new = set(products.found.get(MISSING, ())) if products is not None else set()
    seen: set[str] = set()
    refetch: dict[str, datetime | None] = {}
    listing = Listing(client, INVENTORY, "items", "items", "item_id", LIST_ALL)
    for page, (received_at, records) in enumerate(listing, 1):
        seen.update(str(r["item_id"]) for r in records)
        if books is not None and products is not None:
            only = [r for r in records if str(r["item_id"]) not in books]

            def row_of(r: dict, at: datetime = received_at) -> dict:
                return {**product_row(r, INVENTORY, at), **stock_values(r, at)}

            reconcile_page(client, engine, PRODUCTS, only, row_of, products, repair)
            new.update(products.found.get(MISSING, ()))
        refetch.update(_stock_page(engine, records, received_at, stock, repair, new))
        log.info("stock: reconciled Inventory page %d, %s items", page, f"{len(seen):,}")
    stock.listed = len(seen)
    if repair and refetch:
        totals = SyncTotals("product_warehouse_stock", "reconcile")
        done = fetch_warehouse_stock(client, engine, refetch, totals, log)
        stock.repaired[WAREHOUSES] += len(done & set(stock.found.get(WAREHOUSES, ())))
    stock.calls = dict(calls_since(client, before))
    return stock, seen


def _stock_page(
    engine: Engine,
    records: list[dict],
    received_at: datetime,
    stock: Drift,
    repair: bool,
    new: set[str],
) -> dict[str, datetime | None]:
    """Classify one Inventory page; write drifted totals. The items whose per-warehouse stock
    must be read again (id -> Inventory version)."""
    listed = {str(r["item_id"]): r for r in records}
    values = {z: stock_values(r, received_at) for z, r in listed.items()}
    behind = _stock_behind(engine, listed, values)
    # rows this reconciliation has just written (missing products) are repaired, not drift
    counted = {z: k for z, k in behind.items() if z not in new}
    stock.note(TOTALS, [z for z, k in counted.items() if TOTALS in k])
    stock.note(WAREHOUSES, [z for z, k in counted.items() if k == {WAREHOUSES}])
    if not repair:
        return {}
    drifted = [z for z, k in behind.items() if TOTALS in k]
    if drifted:
        with engine.begin() as conn:
            write_stock(conn, [{"zoho_id": z, **values[z]} for z in drifted])
    still = _stock_behind(engine, {z: listed[z] for z in drifted}, values) if drifted else {}
    stock.repaired[TOTALS] += sum(
        1 for z in drifted if z in counted and TOTALS not in still.get(z, ())
    )
    refetch: dict[str, datetime | None] = {}
    for zoho_id in behind:
        record, version = listed[zoho_id], values[zoho_id]["inventory_modified_time"]
        if not isinstance(record.get("locations"), list):
            refetch[zoho_id] = version
            continue
        # organisations on Locations: the per-location stock came with the page, no call
        fresh = store_warehouse_stock(engine, zoho_id, dict(record), version, _WAREHOUSE_TOTALS)
        if fresh and counted.get(zoho_id) == {WAREHOUSES}:
            stock.repaired[WAREHOUSES] += 1
    return refetch


_WAREHOUSE_TOTALS = SyncTotals("product_warehouse_stock", "reconcile")  # counts nobody reads


def _stock_behind(
    engine: Engine, listed: dict[str, dict], values: dict[str, dict[str, Any]]
) -> dict[str, set[str]]:
    """zoho_id -> {totals, warehouses} for the live products whose stock is behind Zoho's
    (totals always come with warehouses: their per-warehouse stock is read again too)."""
    ids = list(listed)
    t, w = products, product_warehouse_stock
    with engine.connect() as conn:
        stored = {r.zoho_id: r for r in conn.execute(
            select(t.c.zoho_id, *(t.c[c] for c in STOCK), t.c.inventory_modified_time,
                   t.c.stock_synced_at, t.c.warehouse_stock_modified_time,
                   t.c.warehouse_stock_synced_at)
            .where(t.c.zoho_id.in_(ids), t.c.deleted_at.is_(None))
        )}  # fmt: skip
        per_warehouse: dict[str, dict[str, tuple]] = {}
        cols = (w.c.product_zoho_id, w.c.warehouse_zoho_id, *(w.c[c] for c in STOCK))
        for r in conn.execute(select(*cols).where(w.c.product_zoho_id.in_(ids))):
            per_warehouse.setdefault(r.product_zoho_id, {})[r.warehouse_zoho_id] = _numbers(r)
    behind: dict[str, set[str]] = {}
    for zoho_id, old in stored.items():
        new = values[zoho_id]
        read = (new["inventory_modified_time"], new["stock_synced_at"])
        kinds: set[str] = set()
        if _older((old.inventory_modified_time, old.stock_synced_at), read) and (
            old.inventory_modified_time != read[0]
            or any(not _same(getattr(old, c), new[c]) for c in STOCK)
        ):
            kinds = {TOTALS, WAREHOUSES}
        elif _older((old.warehouse_stock_modified_time, old.warehouse_stock_synced_at), read):
            here = per_warehouse.get(zoho_id, {})
            if _warehouses_differ(listed[zoho_id], new, here, old.warehouse_stock_modified_time):
                kinds = {WAREHOUSES}
        if kinds:
            behind[zoho_id] = kinds
    return behind


def _older(stored: tuple[datetime | None, datetime | None], read: tuple) -> bool:
    """Whether what is stored (version, read time) is older than this read: a newer version,
    or the same one read later (a webhook during the listing), is not drift."""
    if stored[0] is None or read[0] is None or stored[0] != read[0]:
        return stored[0] is None or read[0] is None or stored[0] < read[0]
    return stored[1] is None or stored[1] <= read[1]


def _warehouses_differ(
    record: dict, values: dict[str, Any], stored: dict[str, tuple], version: datetime | None
) -> bool:
    if isinstance(record.get("locations"), list):
        listed = {r["warehouse_zoho_id"]: _numbers(r) for r in warehouse_rows("", record, utcnow())}
        return listed != stored
    if version != values["inventory_modified_time"]:
        return True  # read at an older Inventory version than the totals
    # without per-location figures in the listing, the rows must add up to the listed total
    total = sum((s[0] or Decimal(0) for s in stored.values()), Decimal(0))
    return not _same(total, values["stock_on_hand"] or Decimal(0))


def _numbers(row: Any) -> tuple:
    get = row.get if isinstance(row, dict) else lambda c: getattr(row, c)
    return tuple(_q(get(c)) for c in STOCK)


def _q(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


def _same(a: Any, b: Any) -> bool:
    return _q(a) == _q(b)
