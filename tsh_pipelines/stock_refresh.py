"""Stock follows documents: the refresh ops, their job and sensor (`sync/stock_refresh.py`).

The two ops run at the end of every webhook run, so a sale's stock is read within the
seconds its invoice webhook takes, and in `refresh_stock_job`, which `stock_refresh_sensor`
launches for what listings and repairs scheduled. Totals come from Books (its pool), the
per-warehouse split from Inventory (its pool); each shows its calls on the
`product_warehouse_stock` materialization.
"""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import os
from datetime import datetime
from typing import Optional

import dagster as dg

from tsh_pipelines.assets.common import POOLS, active_runs
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock_refresh import (
    Claim,
    claim,
    due_count,
    needed,
    recorded_step,
    refresh_totals,
    refresh_warehouses,
    release,
)
from tsh_pipelines.zoho import BOOKS, INVENTORY, WEBHOOK

ASSET = "product_warehouse_stock"


@dg.op(
    pool=POOLS[BOOKS],
    ins={"after": dg.In(dg.Nothing)},
    out=dg.Out(description="The claim, for the per-warehouse step (none: nothing due)."),
    description="Claims the items whose stock documents moved and reads their totals from "
    "Books, a hundred a call (itemdetails).",
)
def refresh_stock_totals(
    context: dg.OpExecutionContext, zoho: ZohoResource, database: DatabaseResource
) -> Optional[dict]:  # noqa: UP045 (Dagster reads the annotation)
    engine = database.engine()
    taken = claim(engine)
    if taken is None:
        context.log.info("no stock refresh due")
        return None
    totals = SyncTotals(ASSET, "refresh", records=0)
    todo = needed(engine, taken)
    gone: set[str] = set()
    if todo:
        with zoho.client(engine, context.log, purpose=WEBHOOK) as client:
            gone = recorded_step(client, engine, "totals", todo,
                                 lambda: refresh_totals(client, engine, todo, totals),
                                 context.run.run_id)  # fmt: skip
            calls = client.stats.total
        fresh = len(taken.item_ids) - len(todo)
        context.log.info("stock totals of %d items read in %d calls (%s); %d already fresh",
                         len(todo), calls, taken.reasons, fresh)  # fmt: skip
        context.log_event(dg.AssetMaterialization(asset_key=ASSET, metadata={
            "step": "totals", "items": len(todo), "zoho_calls": calls,
            "already_fresh": fresh,
            "totals_updated": totals.counts.updated, "deleted": len(gone),
            "scheduled_by": dg.MetadataValue.json(taken.reasons),
            "item_ids": dg.MetadataValue.json(todo[:100]),
        }))  # fmt: skip
    return {"claim_id": taken.claim_id, "item_ids": [i for i in todo if i not in gone],
            "claimed_at": taken.claimed_at.isoformat()}  # fmt: skip


@dg.op(
    pool=POOLS[INVENTORY],
    description="Reads the per-warehouse (or per-location) stock of the claimed items from "
    "Inventory, one detail call each, and settles the claim.",
)
def refresh_warehouse_stock(
    context: dg.OpExecutionContext, zoho: ZohoResource, database: DatabaseResource,
    claimed: Optional[dict],  # noqa: UP045
) -> None:  # fmt: skip
    if not claimed:
        return
    engine = database.engine()
    taken = Claim(claimed["claim_id"], claimed["item_ids"],
                  datetime.fromisoformat(claimed["claimed_at"]))  # fmt: skip
    totals = SyncTotals(ASSET, "refresh")
    if not taken.item_ids:
        release(engine, taken)
        return
    with zoho.client(engine, context.log, purpose=WEBHOOK) as client:
        recorded_step(client, engine, "warehouses", taken.item_ids,
                      lambda: refresh_warehouses(client, engine, taken.item_ids, totals),
                      context.run.run_id)  # fmt: skip
        calls, rows = client.stats.total, totals.records
    release(engine, taken)
    context.log_event(dg.AssetMaterialization(asset_key=ASSET, metadata={
        "step": "per-warehouse", "items": len(taken.item_ids), "zoho_calls": calls,
        "warehouse_rows": rows,
    }))  # fmt: skip


@dg.job(
    description="Refreshes the stock of the items whose documents changed (scheduled by "
    "listings and repairs; webhook runs refresh their own).",
    executor_def=dg.in_process_executor,
)
def refresh_stock_job() -> None:
    refresh_warehouse_stock(refresh_stock_totals())


@dg.sensor(
    job=refresh_stock_job,
    minimum_interval_seconds=int(os.environ.get("TSH_STOCK_REFRESH_SENSOR_SECONDS", "5")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches refresh_stock_job when items' stock is due for a refresh and no "
    "refresh run is queued or running.",
)
def stock_refresh_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult | dg.SkipReason:
    active = active_runs(context.instance, job_name=refresh_stock_job.name)
    if active:
        return dg.SkipReason(f"{active} stock refresh run(s) queued or running")
    due = due_count(database.engine())
    if not due:
        return dg.SkipReason("no stock refresh due")
    return dg.SensorResult(run_requests=[dg.RunRequest(tags={"tsh/stock_items": str(due)})])
