"""Every registry entity that is neither partitioned nor synced by an asset of its own: one
asset per Zoho module, listed incrementally or whole.

A module is what Zoho lists at one path. Most hold one entity (warehouses, users, taxes…);
contacts hold two, customers and vendors, each listed with its own filter and watermark, and
their persons and addresses, which only the detail call of a contact gives. A child table is
one asset key however many entities fill it, so the module is one multi-asset.
"""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

from collections.abc import Iterator

import dagster as dg

from tsh_pipelines.assets.common import (
    POOLS,
    SyncConfig,
    listing_progress,
    metadata,
    resolve_mode,
    run_sync,
)
from tsh_pipelines.entities import BY_MODULE, Entity
from tsh_pipelines.line_items import sync_with_details
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.progress import Progress
from tsh_pipelines.sync.replicate import list_params
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import ZohoClient

KINDS = {"zoho", "sql"}
# Synced by assets of their own (assets/catalog.py): items and stock, price books and prices.
DEDICATED = ("products", "product_warehouse_stock", "price_lists")


def _specs(entities: tuple[Entity, ...]) -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(e.name, deps=list(e.refers_to), description=e.description,
                     group_name=e.group, kinds=KINDS)
        for e in entities
    ]  # fmt: skip
    parents: dict[str, list[str]] = {}
    for e in entities:
        for child in e.children:
            parents.setdefault(child.table, []).append(e.name)
    for e in entities:
        for child in e.children:
            if child.table not in {s.key.to_user_string() for s in specs}:
                of = " and ".join(parents[child.table])
                specs.append(dg.AssetSpec(
                    child.table, deps=[*parents[child.table], *child.refers_to],
                    group_name=e.group, kinds=KINDS,
                    description=f"Of {of}: from Zoho's detail call (one per record), made only "
                    "for records new or changed since their rows were stored.",
                ))  # fmt: skip
    return specs


def module_asset(entities: tuple[Entity, ...]) -> dg.AssetsDefinition:
    first = entities[0]
    name = first.name if len(entities) == 1 else first.path.rsplit("/", 1)[-1]

    @dg.multi_asset(name=name, specs=_specs(entities), pool=POOLS[first.api])
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ) -> Iterator[dg.MaterializeResult]:
        mode = resolve_mode(context, config)
        engine = database.engine()
        children = {child.table: 0 for e in entities for child in e.children}
        for entity in entities:

            def run(client: ZohoClient, e: Entity = entity) -> tuple[SyncTotals, Progress]:
                shown = listing_progress(context.log, client, e,
                                         list_params(engine, e, mode, None, None))  # fmt: skip
                totals = sync_with_details(client, engine, e, mode, shown,
                                           Progress(context.log, unit="documents"))  # fmt: skip
                return totals, shown

            (totals, shown), stats = run_sync(context, zoho, database, entity.name, mode, run)
            # Always a result, a settings listing skipped as fresh too: Dagster would skip
            # every step downstream of an asset that yields none (customers of users).
            for child in entity.children:
                children[child.table] = children.get(child.table, 0) + totals.line_items
            yield dg.MaterializeResult(asset_key=entity.name,
                                       metadata=metadata(totals, stats, shown))  # fmt: skip
        for table, written in children.items():
            yield dg.MaterializeResult(asset_key=table, metadata={"rows_written": written})

    return _asset


MODULE_ASSETS = [
    module_asset(tuple(e for e in entities if e.name not in DEDICATED))
    for entities in BY_MODULE.values()
    if not entities[0].partitioned and any(e.name not in DEDICATED for e in entities)
]
