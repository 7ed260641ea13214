"""Master data: products, stock, warehouses, customers, price lists. Not partitioned."""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
from sqlalchemy.engine import Engine

from tsh_pipelines.assets.common import ZOHO_POOL, SyncConfig, metadata, resolve_mode, run_sync
from tsh_pipelines.entities import BY_NAME, Entity
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products, sync_warehouse_stock
from tsh_pipelines.sync.replicate import sync_entity
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import ZohoClient

KINDS = {"zoho", "sql"}


def _spec_args(name: str) -> dict:
    entity = BY_NAME[name]
    return {"description": entity.description, "group_name": entity.group, "kinds": KINDS}


Sync = Callable[[ZohoClient, Engine, str, Any], SyncTotals]


def replication_asset(name: str, sync: Sync, deps: Sequence[str] = ()) -> dg.AssetsDefinition:
    """An unpartitioned asset whose materialization is one sync of `name`."""

    @dg.asset(name=name, deps=list(deps), pool=ZOHO_POOL, **_spec_args(name))
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ) -> dg.MaterializeResult:
        mode = resolve_mode(context, config)
        engine = database.engine()
        totals, stats = run_sync(
            context, zoho, database, name, mode,
            lambda client: sync(client, engine, mode, context.log),
        )  # fmt: skip
        return dg.MaterializeResult(metadata=metadata(totals, stats))

    return _asset


def _listing(entity: Entity) -> Sync:
    return lambda client, engine, mode, log: sync_entity(client, engine, entity, mode=mode, log=log)


@dg.multi_asset(
    name="price_lists_and_prices",
    pool=ZOHO_POOL,
    specs=[
        dg.AssetSpec("price_lists", **_spec_args("price_lists")),
        dg.AssetSpec(
            "product_prices", group_name="catalog", kinds=KINDS,
            description="Each price book's per-item prices (the consumer app reads consumer_iqd).",
        ),
    ],
)  # fmt: skip
def price_lists_asset(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
):  # type: ignore[no-untyped-def]
    mode = resolve_mode(context, config)
    engine = database.engine()
    (lists, prices), stats = run_sync(
        context, zoho, database, "price_lists", mode,
        lambda client: sync_price_lists(client, engine, mode=mode, log=context.log),
    )  # fmt: skip
    yield dg.MaterializeResult(asset_key="price_lists", metadata=metadata(lists, stats))
    yield dg.MaterializeResult(asset_key="product_prices", metadata=metadata(prices, None))


CATALOG_ASSETS = [
    replication_asset(
        "products",
        lambda client, engine, mode, log: sync_products(client, engine, mode=mode, log=log),
    ),
    replication_asset(
        "product_warehouse_stock",
        lambda client, engine, _mode, log: sync_warehouse_stock(client, engine, log=log),
        deps=["products"],
    ),
    replication_asset("warehouses", _listing(BY_NAME["warehouses"])),
    replication_asset("customers", _listing(BY_NAME["customers"])),
    price_lists_asset,
]
