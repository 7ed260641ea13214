"""`product_images`: Zoho's item images, fetched when they change, stored with thumbnails.

Downstream of `products` and `product_warehouse_stock` (whose listings carry each item's
image identity, the latter for the items only Inventory has) and in the sync
jobs through its group, at a lower priority than the data steps: in a run, every step that
moves data takes a pool slot before this one does.
"""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import dagster as dg

from tsh_db.media import image_dir
from tsh_pipelines.assets.common import POOLS, SyncConfig, metadata, resolve_mode, run_sync
from tsh_pipelines.entities import CATALOG
from tsh_pipelines.images import ImageStore
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.images import ENTITY, sync_images
from tsh_pipelines.sync.progress import Progress
from tsh_pipelines.zoho import BOOKS


@dg.asset(
    name=ENTITY,
    # Both steps write products: the Books listing, and Inventory's the items only it has.
    deps=["products", "product_warehouse_stock"],
    group_name=CATALOG,
    pool=POOLS[BOOKS],
    kinds={"zoho", "sql"},
    op_tags={"dagster/priority": "-1"},
    description="Each item's picture from Zoho (items/{id}/image), fetched only when the "
    "item's image identity (image_document_id, else name and type) changed: none on a run "
    "where nothing did, full refresh included. Kept content-addressed under TSH_IMAGE_DIR "
    "with a list and a detail WebP beside the original, for the consumer API or nginx. "
    "Never spends the last ZOHO_IMAGE_BUDGET_FLOOR of a day's sync budget.",
)
def product_images(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
) -> dg.MaterializeResult:
    mode = resolve_mode(context, config)
    engine = database.engine()
    store = ImageStore(image_dir())
    progress = Progress(context.log, unit="items")
    totals, stats = run_sync(
        context, zoho, database, ENTITY, mode,
        lambda client: sync_images(client, engine, store, mode=mode, log=progress),
    )  # fmt: skip
    meta = metadata(totals, stats, progress)
    meta["image_dir"] = str(store.root)
    return dg.MaterializeResult(metadata=meta)


IMAGE_ASSETS = [product_images]
