"""What every replication asset does around its sync: mode, audit row, metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd

from tsh_pipelines.entities import Entity
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.progress import Progress
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, RANGE
from tsh_pipelines.sync.state import RunEnded, SyncTotals, finish_run, start_run
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from tsh_pipelines.zoho.stats import CallStats

# A pool per Zoho API, sized in dagster.yaml: steps of different entities run side by side
# (master data never waits for a document backfill) while the shared limiter, not the pool,
# keeps the organisation under Zoho's per-minute, in-flight and daily limits.
POOLS = {BOOKS: "zoho_books", INVENTORY: "zoho_inventory"}
MODE_TAG = "tsh/sync_mode"


class SyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-list everything in scope and soft-delete the rows Zoho no longer returns."""


def resolve_mode(context: dg.AssetExecutionContext, config: SyncConfig) -> str:
    """Config or the job's tag decide; otherwise a partitioned run lists its months (a
    backfill) and an unpartitioned one syncs what changed since the watermark."""
    tag = context.run.tags.get(MODE_TAG)
    if config.full_refresh or tag == FULL_REFRESH:
        return FULL_REFRESH
    if tag == INCREMENTAL:
        return INCREMENTAL
    return RANGE if context.has_partition_key_range or context.has_partition_key else INCREMENTAL


ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING,
]  # fmt: skip


def active_runs(
    instance: dg.DagsterInstance, job_name: str | None = None, tags: dict | None = None
) -> int:
    """Runs of a job (or with these tags) queued, starting or running: what sensors wait on."""
    return instance.get_runs_count(
        dg.RunsFilter(job_name=job_name, tags=tags or {}, statuses=ACTIVE_RUN_STATUSES)
    )


def dagster_run_ended(instance: dg.DagsterInstance) -> RunEnded:
    """Why a run of `instance` is over, for `start_run` to mark its leftover rows abandoned.

    A run the instance still shows as started counts as alive, even if its process was
    killed: only Dagster's run monitoring can tell, and it then marks the run failed.
    """

    def ended(run_id: str) -> str | None:
        run = instance.get_run_by_id(run_id)
        if run is None:
            return "is unknown to the Dagster instance"
        return f"ended with {run.status.value}" if run.is_finished else None

    return ended


def run_sync(
    context: dg.AssetExecutionContext,
    zoho: ZohoResource,
    database: DatabaseResource,
    entity: str,
    mode: str,
    sync: Callable[[ZohoClient], Any],
) -> tuple[Any, CallStats]:
    """Run `sync` with a client, recording a `tds_sync_runs` row whatever happens."""
    engine = database.engine()
    run_id = start_run(
        engine, entity, mode, context.run.run_id, dagster_run_ended(context.instance)
    )
    with zoho.client(engine, context.log) as client:
        try:
            result = sync(client)
        except Exception as exc:
            failed = SyncTotals(entity, mode)
            finish_run(engine, run_id, failed, client.stats.total, error=str(exc))
            raise
        totals = result[0] if isinstance(result, tuple) else result
        finish_run(engine, run_id, totals, client.stats.total)
        client.stats.log_summary(context.log)
    return result, client.stats


def listing_progress(
    log: Any, client: ZohoClient, entity: Entity, params: dict[str, Any]
) -> Progress:
    """Progress of a listing of `entity` with `params`, against Zoho's count of the same."""
    count = dict(params)
    return Progress(
        log, lambda: client.count(entity.api, entity.path, entity.list_key, entity.id_field, count)
    )


def metadata(
    totals: SyncTotals, stats: CallStats | None, progress: Progress | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = dict(totals.as_metadata())
    if stats is not None:
        meta.update(stats.as_metadata())
    if progress is not None:
        meta.update(progress.as_metadata())
    if totals.preview:
        meta["preview"] = dg.MetadataValue.md(pd.DataFrame(totals.preview).to_markdown(index=False))
    return meta
