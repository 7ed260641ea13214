"""A sync killed mid-run leaves its `tds_sync_runs` row `running`; the next run of the entity
marks it `abandoned` once the Dagster instance says that run is over."""

from __future__ import annotations

import dagster as dg
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.test_dagster_assets import resources
from tsh_db.schema import tds_sync_runs
from tsh_pipelines.assets.catalog import CATALOG_ASSETS
from tsh_pipelines.sync.state import start_run
from zoho_sandbox.process import SandboxProcess

WAREHOUSES = next(a for a in CATALOG_ASSETS if dg.AssetKey("warehouses") in a.keys)
UNKNOWN_RUN = "0f0f0f0f-dead-4bad-8bad-000000000000"


def run_with_status(instance: dg.DagsterInstance, status: dg.DagsterRunStatus) -> str:
    return instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", status=status)).run_id


def left_running(engine: Engine, entity: str, dagster_run_id: str | None) -> int:
    """The row a sync leaves behind when its process is killed before `finish_run`."""
    return start_run(engine, entity, "incremental", dagster_run_id)


def rows(engine: Engine) -> dict[int, tuple[str, str | None, bool]]:
    t = tds_sync_runs.c
    with engine.connect() as conn:
        found = conn.execute(select(t.id, t.status, t.error_log, t.completed_at)).all()
    return {r.id: (r.status, r.error_log, r.completed_at is not None) for r in found}


def test_next_start_abandons_rows_of_dead_runs_and_keeps_live_ones(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    failed = run_with_status(instance, dg.DagsterRunStatus.FAILURE)
    canceled = run_with_status(instance, dg.DagsterRunStatus.CANCELED)
    live = run_with_status(instance, dg.DagsterRunStatus.STARTED)
    dead_ids = {
        left_running(engine, "warehouses", failed): "ended with FAILURE",
        left_running(engine, "warehouses", canceled): "ended with CANCELED",
        left_running(engine, "warehouses", UNKNOWN_RUN): "is unknown to the Dagster instance",
    }
    kept = {
        left_running(engine, "warehouses", live),  # still running in Dagster
        left_running(engine, "warehouses", None),  # not a Dagster sync: nothing to ask
        left_running(engine, "customers", failed),  # another entity: its own next run decides
    }

    result = dg.materialize(
        [WAREHOUSES], resources=resources(fresh_sandbox, db_url), instance=instance
    )
    assert result.success

    after = rows(engine)
    for row_id, why in dead_ids.items():
        status, error, completed = after[row_id]
        assert status == "abandoned" and completed
        assert error is not None and why in error and "never finished" in error
    assert all(after[row_id] == ("running", None, False) for row_id in kept)
    new = [r for r in after if r not in dead_ids and r not in kept]
    assert [after[r][0] for r in new] == ["completed"]


def test_a_row_of_a_run_that_finished_since_is_abandoned_by_a_later_run(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    """A live run's row is kept; once Dagster marks that run failed, the next start clears it."""
    instance = dg.DagsterInstance.ephemeral()
    res = resources(fresh_sandbox, db_url)
    live = run_with_status(instance, dg.DagsterRunStatus.STARTED)
    row_id = left_running(engine, "warehouses", live)
    assert dg.materialize([WAREHOUSES], resources=res, instance=instance).success
    assert rows(engine)[row_id][0] == "running"

    instance.report_run_failed(instance.get_run_by_id(live))  # type: ignore[arg-type]
    assert dg.materialize([WAREHOUSES], resources=res, instance=instance).success
    assert rows(engine)[row_id][0] == "abandoned"
