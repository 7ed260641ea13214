"""The webhook worker: one long run that drains the queue as events arrive, then the stock
their documents moved.

Dagster's sensor daemon looks at its sensors every 5 seconds at best, and a run takes
seconds to start, so a run per claimed batch leaves an event 5 to 10 seconds from Zoho to
the replica. The worker is one run that claims and applies batches itself, polling the queue
every `TSH_WEBHOOK_WORKER_POLL_MS` (250), and refreshes the stock that its documents (and
listings) scheduled right after each batch, inline. It ends after
`TSH_WEBHOOK_WORKER_SECONDS` (300), so new code takes over, and `webhook_worker_sensor`
starts the next one. While a worker runs, `webhook_queue_sensor` claims nothing; when none
does (`TSH_WEBHOOK_WORKER=false`, or between two), the queue sensor's runs apply as before.
Claims, leases, deferrals and outcomes are the queue's own either way.
"""
# No `from __future__ import annotations`: Dagster reads the resource types.

import os
import time

import dagster as dg

from tsh_db.service import env_int
from tsh_pipelines.assets.common import active_runs
from tsh_pipelines.realtime import BATCH_SIZE, WEBHOOK_POOL, apply_claim
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.queue import claim_batch
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock_refresh import refresh_due
from tsh_pipelines.zoho import WEBHOOK

WORKER_SECONDS = env_int(os.environ, "TSH_WEBHOOK_WORKER_SECONDS", 300, minimum=1)
POLL_SECONDS = env_int(os.environ, "TSH_WEBHOOK_WORKER_POLL_MS", 250, minimum=10) / 1000
ENABLED = os.environ.get("TSH_WEBHOOK_WORKER", "true").lower() not in ("0", "false", "no")


@dg.op(
    pool=WEBHOOK_POOL,
    description="Claims and applies webhook events as they arrive, then refreshes the stock "
    "their documents moved, for TSH_WEBHOOK_WORKER_SECONDS.",
)
def drain_webhook_queue(
    context: dg.OpExecutionContext, zoho: ZohoResource, database: DatabaseResource
) -> None:
    engine = database.engine()
    deadline = time.monotonic() + WORKER_SECONDS
    batches = events = refreshed = 0
    stock = SyncTotals("product_warehouse_stock", "refresh")
    with zoho.client(engine, context.log, purpose=WEBHOOK) as client:
        while time.monotonic() < deadline:
            claim = claim_batch(engine, BATCH_SIZE)
            if claim is not None:
                outcomes = apply_claim(context, client, engine, claim.claim_id)
                batches, events = batches + 1, events + sum(outcomes.values())
            items = refresh_due(client, engine, stock)
            if items:
                refreshed += len(items)
                context.log_event(dg.AssetMaterialization(
                    asset_key="product_warehouse_stock",
                    metadata={"step": "refresh", "items": len(items),
                              "item_ids": dg.MetadataValue.json(items[:100])},
                ))  # fmt: skip
            if claim is None and not items:
                time.sleep(POLL_SECONDS)
        context.log.info("worker done: %d batches, %d events, %d items' stock refreshed, %d "
                         "Zoho calls", batches, events, refreshed, client.stats.total)  # fmt: skip


@dg.job(
    description="The webhook worker: applies webhook events within a second of their "
    "arrival, and the stock their documents moved, for a few minutes at a time.",
    executor_def=dg.in_process_executor,
    tags={"tsh/worker": "webhooks"},
)
def webhook_worker_job() -> None:
    drain_webhook_queue()


@dg.sensor(
    job=webhook_worker_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING if ENABLED else dg.DefaultSensorStatus.STOPPED,
    description="Keeps one webhook_worker_job run going (TSH_WEBHOOK_WORKER, on by default).",
)
def webhook_worker_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    if active_runs(context.instance, job_name=webhook_worker_job.name):
        return dg.SkipReason("a webhook worker is running")
    return dg.SensorResult(run_requests=[dg.RunRequest()])
