"""`consumer_catalog`: what the consumer price API serves, as an asset of its own.
# No `from __future__ import annotations`: Dagster reads the resource types.

Every sync page and webhook batch that touches a product, a price or stock updates the rows
it affects in its own transaction (`tsh_pipelines.sync.catalog`), so between
materializations the table is already current. A materialization rebuilds every row from the
replica: after changing CONSUMER_MIN_STOCK or CONSUMER_PRICELIST_CODE, after a restore, or
when the daily investigation (which also repairs) is not soon enough.
"""

import dagster as dg
import pandas as pd
from sqlalchemy import select

from tsh_db.schema import consumer_catalog as catalog_table
from tsh_pipelines.resources import DatabaseResource
from tsh_pipelines.sync.catalog import Rules, rebuild_catalog

PREVIEW_ROWS = 5


@dg.asset(
    name="consumer_catalog",
    # Stock: products.actual_available_stock, written by product_warehouse_stock's Inventory
    # listing and by stock webhooks, which record their writes on product_warehouse_stock.
    deps=["products", "product_prices", "price_lists", "product_warehouse_stock"],
    group_name="consumer",
    kinds={"sql", "fastapi"},
    description="What tsh_consumer_api serves, one row per visible product: active, live "
    "products with at least CONSUMER_MIN_STOCK available and a price above zero in IQD in "
    "the CONSUMER_PRICELIST_CODE price list (never the base price), with search text for "
    "name and SKU. Kept current by every sync and webhook batch in the transaction that "
    "changes its inputs; materializing rebuilds it whole.",
)
def consumer_catalog(
    context: dg.AssetExecutionContext, database: DatabaseResource
) -> dg.MaterializeResult:
    rules = Rules.from_env()
    with database.engine().begin() as conn:
        change = rebuild_catalog(conn, rules)
        c = catalog_table.c
        preview = conn.execute(
            select(c.product_zoho_id, c.name, c.sku, c.category, c.price, c.stock)
            .order_by(c.name, c.product_zoho_id)
            .limit(PREVIEW_ROWS)
        ).all()
    context.log.info(
        "consumer_catalog: %s products (%d new, %d changed, %d removed), version %s",
        f"{change.total:,}", change.inserted, change.updated, change.removed, change.version,
    )  # fmt: skip
    frame = pd.DataFrame([r._asdict() for r in preview])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": change.total,
            "inserted": change.inserted,
            "updated": change.updated,
            "removed": change.removed,
            "catalog_version": change.version,
            "price_list_code": rules.pricelist_code,
            "min_stock": rules.min_stock,
            "preview": dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else ""),
        }
    )
