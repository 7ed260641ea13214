"""The outbox in Dagster: the sensor starts a push run only when rows are due and none runs;
the job pushes them through the Books pool's client."""

from __future__ import annotations

import dagster as dg
from dagster._core.test_utils import create_run_for_test
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.outbox.conftest import consumer_order, enqueue
from tests.replication.test_dagster_assets import resources
from tsh_db.schema import tds_outbox
from tsh_pipelines.definitions import defs
from tsh_pipelines.outbox import job
from tsh_pipelines.outbox.job import outbox_sensor, push_outbox_job
from zoho_sandbox.process import SandboxProcess


def test_the_sensor_starts_a_push_run_that_sends_the_due_orders(
    sandbox26: SandboxProcess, replica: Engine, db_url: str, monkeypatch
) -> None:
    res = resources(sandbox26, db_url)
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"database": res["database"]})
        assert isinstance(outbox_sensor(ctx), dg.SkipReason)  # nothing due
        row = enqueue(replica, consumer_order(replica))
        assert len(outbox_sensor(ctx).run_requests) == 1
        create_run_for_test(instance, job_name=push_outbox_job.name,
                            status=dg.DagsterRunStatus.STARTED)  # fmt: skip
        assert isinstance(outbox_sensor(ctx), dg.SkipReason)  # the running one takes it
    monkeypatch.setattr(job, "IDLE_SECONDS", 0)
    result = push_outbox_job.execute_in_process(resources=res)
    assert result.success
    with replica.connect() as conn:
        assert conn.scalar(select(tds_outbox.c.status).where(tds_outbox.c.id == row["id"])) \
            == "synced"  # fmt: skip
    assert defs.get_sensor_def("outbox_sensor").job_name == push_outbox_job.name
    [op] = push_outbox_job.nodes
    assert op.definition.pool == "zoho_books"
