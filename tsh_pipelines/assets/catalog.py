"""Master data: products, stock, warehouses, customers, price lists. Not partitioned."""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import dagster as dg

from tsh_pipelines.assets.common import ZOHO_POOL, SyncConfig, metadata, resolve_mode, run_sync
from tsh_pipelines.entities import BY_NAME, Entity
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products, sync_warehouse_stock
from tsh_pipelines.sync.replicate import sync_entity

KINDS = {"zoho", "sql"}


def _spec_args(name: str) -> dict:
    entity = BY_NAME[name]
    return {"description": entity.description, "group_name": entity.group, "kinds": KINDS}


@dg.asset(name="products", pool=ZOHO_POOL, **_spec_args("products"))
def products_asset(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
) -> dg.MaterializeResult:
    mode = resolve_mode(context, config)
    engine = database.engine()
    totals, stats = run_sync(
        context, zoho, database, "products", mode,
        lambda client: sync_products(client, engine, mode=mode, log=context.log),
    )  # fmt: skip
    return dg.MaterializeResult(metadata=metadata(totals, stats))


@dg.asset(
    name="product_warehouse_stock", deps=["products"], pool=ZOHO_POOL,
    **_spec_args("product_warehouse_stock"),
)  # fmt: skip
def product_warehouse_stock_asset(
    context: dg.AssetExecutionContext, zoho: ZohoResource, database: DatabaseResource
) -> dg.MaterializeResult:
    engine = database.engine()
    totals, stats = run_sync(
        context, zoho, database, "product_warehouse_stock", "incremental",
        lambda client: sync_warehouse_stock(client, engine, log=context.log),
    )  # fmt: skip
    return dg.MaterializeResult(metadata=metadata(totals, stats))


def listing_asset(entity: Entity) -> dg.AssetsDefinition:
    """An unpartitioned asset that is one registry listing (warehouses, customers)."""

    @dg.asset(name=entity.name, pool=ZOHO_POOL, **_spec_args(entity.name))
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ) -> dg.MaterializeResult:
        mode = resolve_mode(context, config)
        engine = database.engine()
        totals, stats = run_sync(
            context, zoho, database, entity.name, mode,
            lambda client: sync_entity(client, engine, entity, mode=mode, log=context.log),
        )  # fmt: skip
        return dg.MaterializeResult(metadata=metadata(totals, stats))

    return _asset


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
    products_asset,
    product_warehouse_stock_asset,
    listing_asset(BY_NAME["warehouses"]),
    listing_asset(BY_NAME["customers"]),
    price_lists_asset,
]
