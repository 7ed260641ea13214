"""The first sync: a replica that was never synced starts one `incremental_sync` by itself.

The first run of each entity lists it whole, so an empty replica fills without anyone
choosing partitions; after that the schedules, webhooks and backfills take over. The run key
and the cursor make it one run per Dagster instance, whatever the replica does later.
"""
# No `from __future__ import annotations`: Dagster reads the resource types.

import dagster as dg
from sqlalchemy import func, select

from tsh_db.schema import tds_sync_runs
from tsh_pipelines.jobs import incremental_sync
from tsh_pipelines.resources import DatabaseResource

REQUESTED = "requested"


def replica_synced(database: DatabaseResource) -> bool:
    """Whether any sync ever completed against this replica."""
    with database.engine().connect() as conn:
        done = conn.scalar(
            select(func.count())
            .select_from(tds_sync_runs)
            .where(tds_sync_runs.c.status == "completed", tds_sync_runs.c.run_type != "webhook")
        )
    return bool(done)


@dg.sensor(
    job=incremental_sync,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts incremental_sync once when the replica has never been synced "
    "(a new deployment, the demo), so every asset is materialized without a click.",
)
def initial_sync_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult | dg.SkipReason:
    if context.cursor:
        return dg.SkipReason("the first sync was requested already")
    if replica_synced(database):
        return dg.SensorResult(
            skip_reason="the replica has been synced before", cursor="already synced"
        )
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key="initial-sync", tags={"tsh/trigger": "initial"})],
        cursor=REQUESTED,
    )
