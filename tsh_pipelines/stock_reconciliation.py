"""The stock reconciliation job: stock proven against Zoho by value, hourly by default.

Whether a stock movement moves an item's `last_modified_time` is unconfirmed, so the
incremental sync (which lists by it) may never see one and a dropped webhook would leave a
stale figure for good. This job lists every Inventory item (ceil(items / 200) calls), corrects
each drifted total through the stock version rule and reads the per-warehouse stock again for
just those items (none when the listing carries `locations[]`). It spends Inventory calls
hourly, so it asks the budget first (`reconciliation.plan`) and refuses, with a warning on
the asset, rather than eat into the webhook reserve. Price-book rates are re-read on every
incremental run instead (`sync/prices.py`).
"""
# No `from __future__ import annotations`: Dagster reads the resource types.

import os

import dagster as dg

from tsh_pipelines.investigation import OK
from tsh_pipelines.reconciliation import reconcile_stock_levels
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.reconcile_stock import TOTALS, WAREHOUSES
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run

RUN_ENTITY = "stock_reconciliation"  # its tds_sync_runs rows


@dg.op(
    pool="zoho_inventory",
    description="Lists every Inventory item and corrects the stock totals and per-warehouse "
    "stock that drifted from Zoho, whatever its last_modified_time says.",
)
def reconcile_stock_op(
    context: dg.OpExecutionContext, zoho: ZohoResource, database: DatabaseResource
) -> None:
    engine = database.engine()
    run_id = start_run(engine, RUN_ENTITY, "reconcile", context.run.run_id)
    totals = SyncTotals(RUN_ENTITY, "reconcile")
    with zoho.client(engine, context.log) as client:
        try:
            finding, drift = reconcile_stock_levels(client, engine, context.log)
        except Exception as exc:
            finish_run(engine, run_id, totals, client.stats.total, error=str(exc))
            raise
        totals.records = drift.listed
        totals.counts.updated = drift.repaired[TOTALS]
        totals.extra["warehouse_stock_refreshed"] = drift.repaired[WAREHOUSES]
        finish_run(engine, run_id, totals, client.stats.total, error=drift.error)
    meta = {**finding.metadata, "severity": finding.severity}
    context.log_event(
        dg.AssetObservation(asset_key="product_warehouse_stock", description=finding.summary,
                            metadata=meta)
    )  # fmt: skip
    if sum(drift.repaired.values()):
        # the rows changed: the catalogue assets show when and why
        for key in ("products", "product_warehouse_stock"):
            context.log_event(
                dg.AssetMaterialization(asset_key=key, metadata=meta,
                                        description=f"stock reconciliation: {finding.summary}")
            )  # fmt: skip
    log = context.log.info if finding.severity == OK else context.log.warning
    log(finding.summary)


@dg.job(
    description="Stock totals and per-warehouse stock of every product against Zoho's "
    "Inventory listing, corrected where they drifted (movements that no last_modified_time "
    "reveals, dropped webhooks)."
)
def stock_reconciliation() -> None:
    reconcile_stock_op()


stock_reconciliation_schedule = dg.ScheduleDefinition(
    name="stock_reconciliation_schedule",
    job=stock_reconciliation,
    cron_schedule=os.environ.get("ZOHO_STOCK_RECONCILE_CRON", "0 * * * *"),
    execution_timezone="Asia/Baghdad",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly: stock that drifted without a webhook or a new last_modified_time is "
    "corrected within the hour.",
)
