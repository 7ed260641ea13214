"""Master data: products, stock, price lists, and (assets/listings.py) every other registry
entity without partitions: warehouses, contacts, settings. Not partitioned.

And `consumer_catalog` (assets/consumer.py), what the consumer price API serves.
"""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
from sqlalchemy.engine import Engine

from tsh_pipelines.assets.common import (
    POOLS,
    SyncConfig,
    listing_progress,
    metadata,
    resolve_mode,
    run_sync,
)
from tsh_pipelines.assets.consumer import consumer_catalog
from tsh_pipelines.assets.listings import MODULE_ASSETS
from tsh_pipelines.entities import BY_NAME, Entity
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.progress import Progress
from tsh_pipelines.sync.replicate import list_params
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient

KINDS = {"zoho", "sql"}


def _spec_args(name: str) -> dict:
    entity = BY_NAME[name]
    return {"description": entity.description, "group_name": entity.group, "kinds": KINDS}


Sync = Callable[[ZohoClient, Engine, str, Any], SyncTotals]
# The logger a sync is given: Progress, which knows how much work the step has.
ProgressFor = Callable[[Any, ZohoClient, Engine, str], Progress]


def listed(entity: Entity) -> ProgressFor:
    """Progress of a listing, against Zoho's count of the same listing."""
    return lambda log, client, engine, mode: listing_progress(
        log, client, entity, list_params(engine, entity, mode, None, None)
    )


def replication_asset(
    name: str, sync: Sync, progress: ProgressFor, pool: str, deps: Sequence[str] = ()
) -> dg.AssetsDefinition:
    """An unpartitioned asset whose materialization is one sync of `name`."""

    @dg.asset(name=name, deps=list(deps), pool=pool, **_spec_args(name))
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ) -> dg.MaterializeResult:
        mode = resolve_mode(context, config)
        engine = database.engine()
        shown: list[Progress] = []

        def run(client: ZohoClient) -> SyncTotals:
            shown.append(progress(context.log, client, engine, mode))
            return sync(client, engine, mode, shown[0])

        totals, stats = run_sync(context, zoho, database, name, mode, run)
        return dg.MaterializeResult(metadata=metadata(totals, stats, shown[0]))

    return _asset


PRICES_SPEC = dg.AssetSpec(
    "product_prices", deps=["price_lists"], group_name="catalog", kinds=KINDS,
    description="Each price book's per-item prices (the consumer app reads consumer_iqd), "
    "from the detail call of each price book new or changed since its prices were stored.",
)  # fmt: skip


@dg.multi_asset(
    name="price_lists_and_prices",
    pool=POOLS[BOOKS],
    specs=[dg.AssetSpec("price_lists", **_spec_args("price_lists")), PRICES_SPEC],
    can_subset=True,
)
def price_lists_asset(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
):  # type: ignore[no-untyped-def]
    """One sync for either key: a price book's prices are stored only with the version of the
    book they were read with, so the two are never written apart."""
    mode = resolve_mode(context, config)
    engine = database.engine()
    (lists, prices), stats = run_sync(
        context, zoho, database, "price_lists", mode,
        lambda client: sync_price_lists(client, engine, mode=mode, log=context.log),
    )  # fmt: skip
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    written = {"price_lists": metadata(lists, stats), "product_prices": metadata(prices, None)}
    for key, meta in written.items():
        if key in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=meta)
        else:  # written all the same: say so rather than leave it looking stale
            context.log_event(dg.AssetMaterialization(
                asset_key=key, metadata=meta,
                description="Written with the other asset of this step, from the same calls.",
            ))  # fmt: skip


CATALOG_ASSETS = [
    replication_asset(
        "products",
        lambda client, engine, mode, log: sync_products(client, engine, mode=mode, log=log),
        listed(BY_NAME["products"]),
        POOLS[BOOKS],
    ),
    # Needs only Inventory: runs beside the Books work, once the Books item listing is in
    replication_asset(
        "product_warehouse_stock",
        lambda client, engine, mode, log: sync_stock(client, engine, mode=mode, log=log),
        lambda log, *_: Progress(log, unit="items"),
        POOLS[INVENTORY],
        deps=["products"],
    ),
    price_lists_asset,
    # Warehouses, contacts (customers, vendors, their persons and addresses), settings…
    *MODULE_ASSETS,
]

# What the consumer API serves, downstream of the catalog: a real asset (assets/consumer.py).
CONSUMER_CATALOG = consumer_catalog
