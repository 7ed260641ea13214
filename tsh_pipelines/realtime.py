"""Real time: the queue sensor, the `apply_webhook_events` job, and queue maintenance."""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import os
from collections import defaultdict

import dagster as dg

from tsh_pipelines.assets.documents import MONTHLY
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.events import Applied, apply_event
from tsh_pipelines.sync.queue import claim_batch, claimed, purge, settle
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run
from tsh_pipelines.zoho import WEBHOOK

BATCH_SIZE = int(os.environ.get("TSH_WEBHOOK_BATCH_SIZE", "50"))
# Bounded work per tick (a few small indexed UPDATEs), whatever the backlog: far inside
# Dagster's tick timeout. A larger backlog drains over the next ticks.
MAX_BATCHES_PER_TICK = 10
WEBHOOK_POOL = "zoho_webhooks"  # not the sync pool: a long backfill must not hold webhooks


class ApplyConfig(dg.Config):
    claim_id: str


@dg.op(pool=WEBHOOK_POOL, description="Applies one claimed batch of webhook events.")
def apply_webhook_events(
    context: dg.OpExecutionContext,
    config: ApplyConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
) -> None:
    engine = database.engine()
    rows = claimed(engine, config.claim_id)
    context.log.info("claim %s: %d events to apply", config.claim_id, len(rows))
    totals = SyncTotals("webhook_events", "webhook", records=len(rows))
    run_id = start_run(engine, "webhook_events", "webhook", context.run.run_id)
    applied: list[Applied] = []
    outcomes: dict[str, int] = defaultdict(int)
    with zoho.client(engine, context.log, purpose=WEBHOOK) as client:
        for row in rows:
            try:
                result = apply_event(client, engine, row["entity_type"], row["zoho_entity_id"],
                                     row["event_type"], row["raw_payload"])  # fmt: skip
            except Exception as exc:  # every failure is settled on its row, never lost
                status = settle(engine, row, f"{type(exc).__name__}: {exc}")
                context.log.warning("%s %s: %s (%s)", row["entity_type"],
                                    row["zoho_entity_id"], exc, status)  # fmt: skip
                outcomes[status] += 1
                continue
            settle(engine, row, None)
            applied.append(result)
            outcomes[result.outcome] += 1
        totals.counts.updated = outcomes["upserted"]
        totals.counts.unchanged = outcomes["unchanged"] + outcomes["stale"]
        totals.soft_deleted = outcomes["soft_deleted"]
        finish_run(engine, run_id, totals, client.stats.total)
    _report(context, applied)
    context.log.info("claim %s: %s", config.claim_id, dict(outcomes))


def _report(context: dg.OpExecutionContext, applied: list[Applied]) -> None:
    """Show the update on each affected asset (and document month) with the entity ids."""
    groups: dict[tuple[str, str | None], list[Applied]] = defaultdict(list)
    valid = set(MONTHLY.get_partition_keys())
    for item in applied:
        if item.outcome in ("upserted", "soft_deleted"):
            for asset in item.assets:
                entity = BY_NAME.get(asset)
                part = item.partition if entity and entity.partitioned else None
                groups[(asset, part if part in valid else None)].append(item)
    for (asset, partition), items in groups.items():
        meta = {"zoho_ids": [i.zoho_id for i in items][:100], "events": len(items),
                "source": "webhook"}  # fmt: skip
        entity = BY_NAME.get(asset)
        if entity is not None and entity.partitioned and partition is None:
            context.log_event(dg.AssetObservation(asset_key=asset, metadata=meta))
        else:
            context.log_event(dg.AssetMaterialization(asset_key=asset, partition=partition,
                                                      metadata=meta))  # fmt: skip


# In process: one op, and a second process spawn per run would add seconds to every event.
@dg.job(
    description="Applies webhook events claimed by the queue sensor (one batch a run).",
    executor_def=dg.in_process_executor,
)
def apply_webhook_events_job() -> None:
    apply_webhook_events()


@dg.sensor(
    job=apply_webhook_events_job,
    minimum_interval_seconds=int(os.environ.get("TSH_WEBHOOK_SENSOR_SECONDS", "5")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Claims due rows of tds_sync_queue in batches and launches a run per batch.",
)
def webhook_queue_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult | dg.SkipReason:
    engine = database.engine()
    requests = []
    for _ in range(MAX_BATCHES_PER_TICK):
        claim = claim_batch(engine, BATCH_SIZE)
        if claim is None:
            break
        requests.append(
            dg.RunRequest(
                run_key=claim.claim_id,  # one run per batch attempt, even if the tick repeats
                run_config=dg.RunConfig(
                    ops={"apply_webhook_events": ApplyConfig(claim_id=claim.claim_id)}
                ),
                tags={"tsh/claim": claim.claim_id, "tsh/events": str(len(claim.rows))},
            )
        )
    if not requests:
        return dg.SkipReason("no webhook events due")
    return dg.SensorResult(run_requests=requests)


@dg.op(description="Deletes settled queue rows and their inbox events older than 30 days.")
def purge_webhook_queue(context: dg.OpExecutionContext, database: DatabaseResource) -> None:
    queue, inbox = purge(database.engine())
    context.log.info("purged %d queue rows and %d inbox events older than 30 days", queue, inbox)


@dg.job(
    description="Weekly queue maintenance, as the TSH handbook's weekly task.",
    executor_def=dg.in_process_executor,
)
def queue_maintenance_job() -> None:
    purge_webhook_queue()


queue_maintenance_schedule = dg.ScheduleDefinition(
    job=queue_maintenance_job,
    cron_schedule="30 3 * * 5",
    execution_timezone="Asia/Baghdad",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
