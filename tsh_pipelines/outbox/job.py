"""The outbox in Dagster: `push_outbox_job` pushes due rows to Zoho, `outbox_sensor` starts it.

The run takes a slot of the Books pool and calls Zoho through the same client, limiter and
daily budget as the syncs (purpose `sync`: it never eats the webhook reserve), so an order
burst cannot push Zoho past its limits nor starve webhook processing. It keeps polling the
outbox every `TSH_OUTBOX_POLL_MS` (250) while orders come, so an order reaches Zoho within a
second while a run is up, and ends after `TSH_OUTBOX_IDLE_SECONDS` (60) without one, or
after `TSH_OUTBOX_RUN_SECONDS` (300). The sensor (every `TSH_OUTBOX_SENSOR_SECONDS`, 5)
starts a run when rows are due and none is queued or running.
"""
# No `from __future__ import annotations`: Dagster reads the resource types.

import os

import dagster as dg

from tsh_db.service import env_int
from tsh_pipelines.assets.common import POOLS, active_runs
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.worker import drain
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.zoho import BOOKS, SYNC

RUN_SECONDS = env_int(os.environ, "TSH_OUTBOX_RUN_SECONDS", 300, minimum=1)
IDLE_SECONDS = env_int(os.environ, "TSH_OUTBOX_IDLE_SECONDS", 60, minimum=0)
POLL_SECONDS = env_int(os.environ, "TSH_OUTBOX_POLL_MS", 250, minimum=10) / 1000
SENSOR_SECONDS = env_int(os.environ, "TSH_OUTBOX_SENSOR_SECONDS", 5, minimum=1)


@dg.op(
    pool=POOLS[BOOKS],
    description="Pushes due tds_outbox rows to Zoho Books exactly once (customer, sales order "
    "or invoice and payment, void), while orders keep coming.",
)
def push_outbox(
    context: dg.OpExecutionContext, zoho: ZohoResource, database: DatabaseResource
) -> None:
    engine = database.engine()
    with zoho.client(engine, context.log, purpose=SYNC) as client:
        outcomes = drain(client, engine, context.log, RUN_SECONDS, IDLE_SECONDS, POLL_SECONDS)
        calls = client.stats.total
    context.log.info("outbox: %s in %d Zoho calls", dict(outcomes) or "nothing due", calls)
    context.add_output_metadata({"outcomes": dg.MetadataValue.json(dict(outcomes)),
                                 "zoho_calls": calls})  # fmt: skip


@dg.job(
    description="Pushes orders and POS sales from tds_outbox to Zoho (launched by "
    "outbox_sensor, or by hand).",
    executor_def=dg.in_process_executor,
    tags={"tsh/worker": "outbox"},
)
def push_outbox_job() -> None:
    push_outbox()


@dg.sensor(
    job=push_outbox_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts push_outbox_job when tds_outbox has due rows and no push run is "
    "queued or running.",
)
def outbox_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult | dg.SkipReason:
    if active_runs(context.instance, job_name=push_outbox_job.name):
        return dg.SkipReason("a push run is queued or running: it takes new rows itself")
    due = store.due_count(database.engine())
    if not due:
        return dg.SkipReason("no outbox rows due")
    return dg.SensorResult(run_requests=[dg.RunRequest(tags={"tsh/outbox_due": str(due)})])
