"""Real time: the queue sensor, the `apply_webhook_events` job, dead-letter replay, and queue
maintenance."""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import os
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import dagster as dg
import httpx
from pydantic import Field
from sqlalchemy.engine import Engine

from tsh_db.queue import ReplaySelectionError, replay_dead_letters
from tsh_db.service import env_int
from tsh_pipelines.assets.common import active_runs, dagster_run_ended
from tsh_pipelines.assets.documents import MONTHLY
from tsh_pipelines.entities import BY_NAME, ENTITIES
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.stock_refresh import refresh_stock_totals, refresh_warehouse_stock
from tsh_pipelines.sync.events import Applied, apply_event
from tsh_pipelines.sync.queue import claim_batch, claimed, defer, purge, settle, take
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run
from tsh_pipelines.zoho import (
    WEBHOOK,
    ZohoAPIError,
    ZohoBudgetExhausted,
    ZohoClient,
    ZohoDailyLimitError,
)

BATCH_SIZE = int(os.environ.get("TSH_WEBHOOK_BATCH_SIZE", "50"))
# Runs of apply_webhook_events_job allowed at once (queued or running), as dagster.yaml's
# `tsh/claim` limit: the sensor claims no batch a run could not start on.
MAX_RUNS = env_int(os.environ, "TSH_WEBHOOK_MAX_RUNS", 4, minimum=1)
# Bounded work per tick (a few small indexed UPDATEs), whatever the backlog: far inside
# Dagster's tick timeout. A larger backlog drains over the next ticks.
MAX_BATCHES_PER_TICK = 10
WEBHOOK_POOL = "zoho_webhooks"  # not the sync pool: a long backfill must not hold webhooks
# Documents and their line items: partitioned by the document's month.
PARTITIONED_ASSETS = {key for e in ENTITIES if e.partitioned
                      for key in (e.name, e.line_items_table) if key}  # fmt: skip


class ApplyConfig(dg.Config):
    claim_id: str


def zoho_unavailable(exc: BaseException) -> bool:
    """Whether the error says Zoho cannot serve us now, rather than that the event is bad.

    Outages (5xx, or status 0 for a transport failure, after the client's own retries), rate
    limits that outlasted the client's waits, the daily limit (code 45) and our own spent
    budget: retrying the event soon only spends calls, and the event is not at fault.
    """
    if isinstance(exc, ZohoDailyLimitError | ZohoBudgetExhausted | httpx.TransportError):
        return True
    return isinstance(exc, ZohoAPIError) and (exc.status >= 500 or exc.status in (0, 429))


@dg.op(pool=WEBHOOK_POOL, description="Applies one claimed batch of webhook events.")
def apply_webhook_events(
    context: dg.OpExecutionContext,
    config: ApplyConfig,
    zoho: ZohoResource,
    database: DatabaseResource,
) -> None:
    engine = database.engine()
    with zoho.client(engine, context.log, purpose=WEBHOOK) as client:
        apply_claim(context, client, engine, config.claim_id)


def apply_claim(
    context: dg.OpExecutionContext, client: ZohoClient, engine: Engine, claim_id: str
) -> dict[str, int]:
    """Apply every event of one claimed batch, in arrival order; the outcomes by name."""
    rows = claimed(engine, claim_id)
    context.log.info("claim %s: %d events to apply", claim_id, len(rows))
    totals = SyncTotals("webhook_events", "webhook", records=len(rows))
    run_id = start_run(engine, "webhook_events", "webhook", context.run.run_id,
                       dagster_run_ended(context.instance))  # fmt: skip
    applied: list[Applied] = []
    outcomes: dict[str, int] = defaultdict(int)
    calls = client.stats.total
    for row in rows:
        outcome = _apply_one(context, client, engine, row, applied)
        outcomes[outcome] += 1
        if outcome == "deferred":
            break  # the rest of the batch was deferred with it: no point asking Zoho
    totals.counts.updated = outcomes["upserted"]
    totals.counts.unchanged = outcomes["unchanged"] + outcomes["stale"]
    totals.soft_deleted = outcomes["soft_deleted"]
    finish_run(engine, run_id, totals, client.stats.total - calls)
    _report(context, applied)
    context.log.info("claim %s: %s", claim_id, dict(outcomes))
    return dict(outcomes)


def _apply_one(
    context: dg.OpExecutionContext,
    client: ZohoClient,
    engine: Engine,
    row: Mapping[str, Any],
    applied: list[Applied],
) -> str:
    """Start, apply and settle one event; returns its outcome (or queue status)."""
    taken = take(engine, row)
    if taken is None:
        return "lost_claim"  # the claim expired before this run got here; another has it
    try:
        # queued_at is when the delivery arrived: its receipt stamp, for a retry too
        result = apply_event(client, engine, taken["entity_type"], taken["zoho_entity_id"],
                             taken["event_type"], taken["raw_payload"],
                             taken["queued_at"])  # fmt: skip
    except Exception as exc:  # every failure is settled on its row, never lost
        error = f"{type(exc).__name__}: {exc}"
        if zoho_unavailable(exc):
            count, wait = defer(engine, taken, error, getattr(exc, "resets_at", None))
            context.log.warning("Zoho is unavailable (%s): %d events deferred by %s, no "
                                "attempt spent", error, count, wait)  # fmt: skip
            return "deferred"
        status = settle(engine, taken, error)
        context.log.warning("%s %s: %s (%s)", taken["entity_type"], taken["zoho_entity_id"],
                            exc, status)  # fmt: skip
        return status
    settle(engine, taken, None)
    applied.append(result)
    return result.outcome


def _report(context: dg.OpExecutionContext, applied: list[Applied]) -> None:
    """Show the update on each affected asset (and document month) with the entity ids."""
    groups: dict[tuple[str, str | None], list[Applied]] = defaultdict(list)
    valid = set(MONTHLY.get_partition_keys())
    for item in applied:
        if item.outcome in ("upserted", "soft_deleted"):
            for asset in item.assets:
                part = item.partition if asset in PARTITIONED_ASSETS else None
                groups[(asset, part if part in valid else None)].append(item)
    for (asset, partition), items in groups.items():
        meta = {"zoho_ids": [i.zoho_id for i in items][:100], "events": len(items),
                "source": "webhook"}  # fmt: skip
        if asset in PARTITIONED_ASSETS and partition is None:
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
    # then the stock of the items the batch's documents moved: within the same run's seconds
    refresh_warehouse_stock(refresh_stock_totals(apply_webhook_events()))


@dg.sensor(
    job=apply_webhook_events_job,
    minimum_interval_seconds=int(os.environ.get("TSH_WEBHOOK_SENSOR_SECONDS", "5")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Claims due rows of tds_sync_queue in batches and launches a run per batch, "
    "never more than TSH_WEBHOOK_MAX_RUNS runs queued or running at once.",
)
def webhook_queue_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult | dg.SkipReason:
    # The webhook worker drains the queue itself while it runs (webhook_worker.py).
    if active_runs(context.instance, tags={"tsh/worker": "webhooks"}):
        return dg.SkipReason("the webhook worker is draining the queue")
    # A claim made for a run that cannot start yet would only age in Dagster's run queue.
    active = active_runs(context.instance, job_name=apply_webhook_events_job.name)
    free = min(MAX_BATCHES_PER_TICK, MAX_RUNS - active)
    if free <= 0:
        return dg.SkipReason(
            f"{active} webhook runs queued or running (TSH_WEBHOOK_MAX_RUNS={MAX_RUNS}): "
            "nothing claimed until one ends"
        )
    engine = database.engine()
    requests = []
    for _ in range(free):
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


class ReplayConfig(dg.Config):
    """Exactly one of: ids, entity, all."""

    ids: list[int] = Field(default=[], description="tds_sync_queue ids of dead letters.")
    entity: str = Field(default="", description="Every dead letter of this entity.")
    all: bool = Field(default=False, description="Every dead letter.")


@dg.op(description="Puts dead-letter queue rows back to pending with fresh attempts.")
def replay_dead_letter_rows(
    context: dg.OpExecutionContext, config: ReplayConfig, database: DatabaseResource
) -> None:
    if config.entity and config.entity not in BY_NAME:
        raise dg.Failure(f"Unknown entity {config.entity!r}: use one of {', '.join(BY_NAME)}.")
    try:
        count = replay_dead_letters(database.engine(), ids=config.ids, entity=config.entity,
                                    every=config.all)  # fmt: skip
    except ReplaySelectionError as exc:
        raise dg.Failure(str(exc)) from None
    context.log.info("replayed %d dead letters: the queue sensor picks them up", count)
    context.add_output_metadata({"replayed": count})


@dg.job(
    name="replay_dead_letters",
    description="Puts dead-letter webhook events back on the queue (config: ids, entity or "
    "all), as POST /api/zoho/sync/dead-letters/replay does.",
    executor_def=dg.in_process_executor,
)
def replay_dead_letters_job() -> None:
    replay_dead_letter_rows()


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
