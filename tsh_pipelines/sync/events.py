"""Apply one webhook event to the replica, driven by the registry.

Created and edited events write the record from the payload when it carries the full record,
else fetch it by id (items: Books first; a 404 means it was deleted since). Every write goes
through the one write path, so an event older than the stored row never overwrites it and
an older edit delivered after a delete never revives the row: Zoho reorders and repeats
deliveries. Deleted events tombstone, on every route, ids never seen included. `stock`
events update stock totals and per-warehouse stock; `prices` events update the price list and
its per-item prices. A payload is applied as it is only when it carries the whole record;
its receipt stamp is when the delivery arrived, so events of one record apply in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsh_db.schema import products
from tsh_db.types import utcnow
from tsh_db.writes import READ, WEBHOOK
from tsh_pipelines.entities import BOOKS, BY_MODULE, BY_NAME, Entity, owner_of
from tsh_pipelines.sync.mapping import month_of
from tsh_pipelines.sync.prices import apply_price_book
from tsh_pipelines.sync.products import PRODUCTS
from tsh_pipelines.sync.records import AMBIGUOUS, delete_records, has_line_items, write_record
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import store_item_stock
from tsh_pipelines.sync.tables import table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_record, inventory_item, unless_gone
from tsh_pipelines.zoho.timefmt import parse_zoho_time


@dataclass
class Applied:
    """What an event changed, for the Dagster UI: asset keys, partitions, the outcome."""

    entity: str
    zoho_id: str
    outcome: str  # upserted | stale | unchanged | soft_deleted
    assets: list[str] = field(default_factory=list)
    partition: str | None = None


def apply_event(
    client: ZohoClient,
    engine: Engine,
    entity_name: str,
    zoho_id: str,
    event: str,
    payload: Any,
    received_at: datetime | None = None,
) -> Applied:
    """Apply one event; `received_at` is when its delivery arrived, its receipt stamp."""
    entity = BY_NAME[entity_name]
    record = (payload or {}).get(entity.record_key) if isinstance(payload, Mapping) else None
    if event == "deleted":  # on every route: a delete on the stock route deletes the item
        return _delete(client, engine, _holder(engine, _records_of(entity), zoho_id), zoho_id)
    entity = owner_of(entity, record)  # a vendor contact on the customers route is a vendor
    if entity.name == "product_warehouse_stock":
        return _apply_stock(client, engine, zoho_id, record, received_at)
    if _is_full(entity, record):
        source, via, stamp = BOOKS, WEBHOOK, received_at
    else:
        found = unless_gone(lambda: fetch_record(client, entity, zoho_id))
        if found is None:  # deleted since: Zoho's 404 confirms it
            return _delete(client, engine, entity, zoho_id)
        (record, source), via, stamp = found, READ, None
        entity = owner_of(entity, record)
    if entity.name == "price_lists":
        prices = SyncTotals("product_prices", "webhook")
        outcome = apply_price_book(engine, dict(record), prices)  # type: ignore[arg-type]
        return Applied(entity.name, zoho_id, outcome, ["price_lists", "product_prices"])
    outcome, row = write_record(engine, entity, record, source, received_at=stamp, via=via)  # type: ignore[arg-type]
    if outcome == AMBIGUOUS:
        # A read and this delivery carry one version with different bodies: Zoho decides.
        found = unless_gone(lambda: fetch_record(client, entity, zoho_id))
        if found is None:
            return _delete(client, engine, entity, zoho_id)
        record = found[0]
        outcome, row = write_record(engine, entity, *found)
    assets = [entity.name]
    if has_line_items(entity, record):  # type: ignore[arg-type]
        assets.extend(child.table for child in entity.children)
    return Applied(entity.name, zoho_id, outcome, assets, month_of(row.get("date")))


def _records_of(entity: Entity) -> Entity:
    """The entity whose records a route's ids name: the stock route's are products."""
    return PRODUCTS if entity.name == "product_warehouse_stock" else entity


def _is_full(entity: Entity, record: Any) -> bool:
    """A payload we can trust as the whole record: its cursor, every field we map (a workflow
    rule's custom body may carry only some, which must not blank the others), and line items
    if it has any. Custom-field paths (`custom_field_hash.…`) may be absent from a real one."""
    if not isinstance(record, Mapping) or not record.get("last_modified_time"):
        return False
    if any(path not in record for path in entity.fields.values() if "." not in path):
        return False
    if entity.name == "price_lists":
        return isinstance(record.get("pricebook_items"), list)
    return not entity.children or has_line_items(entity, record)


def _holder(engine: Engine, entity: Entity, zoho_id: str) -> Entity:
    """Of the entities sharing the record's module, the one that holds it (else `entity`)."""
    siblings = BY_MODULE[(entity.api, entity.path)]
    if len(siblings) == 1:
        return entity
    with engine.connect() as conn:
        for sibling in siblings:
            table = table_of(sibling)
            if conn.scalar(select(table.c.id).where(table.c.zoho_id == zoho_id)) is not None:
                return sibling
    return entity


def _delete(client: ZohoClient, engine: Engine, entity: Entity, zoho_id: str) -> Applied:
    """Tombstone on Zoho's clock: an edit Zoho stamped just before the delete stays dead."""
    table, at = table_of(entity), client.now()  # before the write lock: it may read the skew
    with engine.begin() as conn:
        done = delete_records(conn, entity, [zoho_id], at)
        date = conn.scalar(select(table.c.date).where(table.c.zoho_id == zoho_id)) if (
            entity.partitioned) else None  # fmt: skip
    return Applied(entity.name, zoho_id, "soft_deleted" if done else "unchanged", [entity.name],
                   month_of(date))  # fmt: skip


def _apply_stock(
    client: ZohoClient, engine: Engine, zoho_id: str, record: Any, received_at: datetime | None
) -> Applied:
    """Stock totals and per-warehouse stock from an Inventory item.

    Stock moves need not move the item's version, so two bodies of one version cannot be
    ordered (deliveries repeat and reorder: A -> B -> A may arrive as A, A, B). A body is
    taken as it is only when its version is newer than the stored one; else Inventory is
    asked (one call), and its answer is the latest.
    """
    with engine.connect() as conn:
        stored = conn.execute(
            select(products.c.id, products.c.inventory_modified_time)
            .where(products.c.zoho_id == zoho_id)
        ).first()  # fmt: skip
    version = parse_zoho_time(record.get("last_modified_time")) if (
        isinstance(record, Mapping)) else None  # fmt: skip
    newer = version is not None and (
        stored is None or stored.inventory_modified_time is None
        or version > stored.inventory_modified_time
    )  # fmt: skip
    stamp = received_at or utcnow()
    if not newer or ("warehouses" not in record and "locations" not in record):
        record = unless_gone(lambda: inventory_item(client, zoho_id))
        if record is None:
            return _delete(client, engine, PRODUCTS, zoho_id)
        stamp = utcnow()
    if stored is None:  # an item we have never seen: take it whole, Books first
        write_record(engine, PRODUCTS, *fetch_record(client, PRODUCTS, zoho_id))
    totals = SyncTotals("product_warehouse_stock", "webhook")
    if not any(store_item_stock(engine, zoho_id, dict(record), stamp, totals)):
        return Applied("product_warehouse_stock", zoho_id, "stale")
    return Applied("product_warehouse_stock", zoho_id, "upserted",
                   ["products", "product_warehouse_stock"])  # fmt: skip
