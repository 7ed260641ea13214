"""Apply one webhook event to the replica, driven by the registry.

Created and edited events upsert the record from the payload when it carries the full record,
else fetch it by id (items: Books first). An event older than the stored row, by
`last_modified_time`, never overwrites it: Zoho reorders and repeats deliveries. Deleted
events soft-delete. `stock` events update stock totals and per-warehouse stock; `prices`
events update the price list and its per-item prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from tsh_db.dialect import upsert
from tsh_db.schema import price_lists, product_prices, products
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME, Entity
from tsh_pipelines.sync.mapping import line_item_rows, month_of, to_row
from tsh_pipelines.sync.prices import price_list_code, store_prices
from tsh_pipelines.sync.products import product_row, stock_values, store_warehouse_stock
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.tables import line_items_table_of, table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_item, inventory_item

NEWER = "zoho_last_modified_time"


@dataclass
class Applied:
    """What an event changed, for the Dagster UI: asset keys, partitions, the outcome."""

    entity: str
    zoho_id: str
    outcome: str  # upserted | stale | unchanged | soft_deleted
    assets: list[str] = field(default_factory=list)
    partition: str | None = None


def apply_event(
    client: ZohoClient, engine: Engine, entity_name: str, zoho_id: str, event: str, payload: Any
) -> Applied:
    entity = BY_NAME[entity_name]
    record = (payload or {}).get(entity.record_key) if isinstance(payload, Mapping) else None
    if entity.name == "product_warehouse_stock":
        return _apply_stock(client, engine, zoho_id, record)
    if event == "deleted":
        return _soft_delete(engine, entity, zoho_id)
    if entity.name == "price_lists":
        return _apply_prices(client, engine, zoho_id, record)
    source = "books"
    if not _is_full(entity, record):
        record, source = _fetch(client, entity, zoho_id)
    return _upsert(engine, entity, record, source)


def _is_full(entity: Entity, record: Any) -> bool:
    """A payload we can trust as the whole record: its cursor, and line items if it has any."""
    if not isinstance(record, Mapping) or not record.get("last_modified_time"):
        return False
    return not entity.line_items_table or isinstance(record.get("line_items"), list)


def _fetch(client: ZohoClient, entity: Entity, zoho_id: str) -> tuple[dict, str]:
    if entity.name == "products":
        return fetch_item(client, zoho_id)
    return client.get(entity.api, f"{entity.path}/{zoho_id}")[entity.record_key], entity.api


def _upsert(engine: Engine, entity: Entity, record: Mapping, source: str) -> Applied:
    table, now = table_of(entity), utcnow()
    if entity.name == "products":
        row = product_row(dict(record), source, now)
    else:
        row = to_row(entity, table, record, now)
    zoho_id = row["zoho_id"]
    assets = [entity.name]
    with engine.begin() as conn:
        if entity.line_items_table:
            row["details_modified_time"] = row[NEWER]
        result = upsert(conn, table, [row], ["zoho_id"], newer_than=NEWER)
        applied = result.inserted + result.updated
        if applied and entity.line_items_table:
            items = line_items_table_of(entity)
            parent = items.c[entity.line_items_parent_column]  # type: ignore[index,union-attr]
            conn.execute(delete(items).where(parent == zoho_id))  # type: ignore[union-attr]
            new = line_item_rows(entity, items, zoho_id, record, now)  # type: ignore[arg-type]
            if new:
                conn.execute(items.insert(), new)  # type: ignore[union-attr]
            assets.append(entity.line_items_table)
        stored = conn.scalar(select(table.c[NEWER]).where(table.c.zoho_id == zoho_id))
    outcome = (
        "upserted" if applied else ("stale" if stored and stored > row[NEWER] else "unchanged")
    )
    return Applied(entity.name, zoho_id, outcome, assets, month_of(row.get("date")))


def _soft_delete(engine: Engine, entity: Entity, zoho_id: str) -> Applied:
    table = table_of(entity)
    with engine.begin() as conn:
        done = conn.execute(
            update(table)
            .where(table.c.zoho_id == zoho_id, table.c.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        ).rowcount
        date = conn.scalar(select(table.c.date).where(table.c.zoho_id == zoho_id)) if (
            entity.partitioned) else None  # fmt: skip
        if entity.name == "price_lists":
            conn.execute(
                update(product_prices)
                .where(product_prices.c.price_list_zoho_id == zoho_id)
                .values(deleted_at=utcnow())
            )
    return Applied(entity.name, zoho_id, "soft_deleted" if done else "unchanged", [entity.name],
                   month_of(date))  # fmt: skip


def _apply_stock(client: ZohoClient, engine: Engine, zoho_id: str, record: Any) -> Applied:
    """Stock totals and per-warehouse stock from an Inventory item (fetched if not sent)."""
    if not isinstance(record, Mapping) or "warehouses" not in record and "locations" not in record:
        record = inventory_item(client, zoho_id)
    values = stock_values(dict(record), utcnow())
    with engine.connect() as conn:
        stored = conn.execute(
            select(products.c.inventory_modified_time).where(products.c.zoho_id == zoho_id)
        ).first()
    if stored is None:  # an item we have never seen: take it whole, Books first
        _upsert(engine, BY_NAME["products"], *_fetch(client, BY_NAME["products"], zoho_id))
    elif (
        stored[0]
        and values["inventory_modified_time"]
        and stored[0] > values["inventory_modified_time"]
    ):
        return Applied("product_warehouse_stock", zoho_id, "stale")
    with engine.begin() as conn:
        conn.execute(update(products).where(products.c.zoho_id == zoho_id).values(values))
    totals = SyncTotals("product_warehouse_stock", "webhook")
    store_warehouse_stock(engine, zoho_id, dict(record), values["inventory_modified_time"], totals)
    return Applied("product_warehouse_stock", zoho_id, "upserted",
                   ["products", "product_warehouse_stock"])  # fmt: skip


def _apply_prices(client: ZohoClient, engine: Engine, zoho_id: str, record: Any) -> Applied:
    entity = BY_NAME["price_lists"]
    if not isinstance(record, Mapping) or "pricebook_items" not in record:
        record = client.get(entity.api, f"pricebooks/{zoho_id}")["pricebook"]
    row = to_row(entity, price_lists, record, utcnow())
    row["code"] = price_list_code(row["name"], row["currency_code"])
    totals = SyncTotals("product_prices", "webhook")
    with engine.begin() as conn:
        result = upsert(conn, price_lists, [row], ["zoho_id"], newer_than=NEWER)
        if result.inserted + result.updated:
            store_prices(conn, row, dict(record), totals)
    applied = result.inserted + result.updated
    return Applied("price_lists", zoho_id, "upserted" if applied else "unchanged",
                   ["price_lists", "product_prices"])  # fmt: skip
