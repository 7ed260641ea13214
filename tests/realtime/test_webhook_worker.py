"""The webhook worker: one run drains the queue as events arrive, and the stock they moved;
the per-batch queue sensor stands aside while it runs."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.realtime.test_realtime import queue_rows
from tests.replication.test_dagster_assets import resources
from tsh_db.dialect import bulk_load
from tsh_db.schema import products, tds_sync_queue
from tsh_db.types import utcnow
from tsh_pipelines import webhook_worker
from tsh_pipelines.realtime import webhook_queue_sensor
from tsh_pipelines.sync import stock_refresh
from tsh_pipelines.webhook_worker import webhook_worker_job, webhook_worker_sensor
from zoho_sandbox.process import SandboxProcess


def queue_invoice_event(sandbox: SandboxProcess, engine: Engine) -> dict:
    """An invoice made just now in Zoho (its stock move is recent), and its queued event."""
    created = str(sandbox.mutate("invoices", "create")["records"][0]["id"])
    invoice = next(r for r in sandbox.records("invoices") if str(r["invoice_id"]) == created)
    now = utcnow()
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, [{
            "entity_type": "invoices", "zoho_entity_id": str(invoice["invoice_id"]),
            "event_type": "edited", "queued_at": now, "next_attempt_at": now,
        }])  # fmt: skip
    return invoice


def test_the_worker_applies_queued_events_and_refreshes_their_stock(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_worker, "WORKER_SECONDS", 3)
    invoice = queue_invoice_event(fresh_sandbox, engine)
    items = {str(li["item_id"]) for li in invoice["line_items"]}
    result = webhook_worker_job.execute_in_process(resources=resources(fresh_sandbox, db_url))
    assert result.success
    assert [r["status"] for r in queue_rows(engine)] == ["completed"]
    assert stock_refresh.due_count(engine) == 0
    with engine.connect() as conn:
        read = dict(conn.execute(
            select(products.c.zoho_id, products.c.warehouse_stock_synced_at)
            .where(products.c.zoho_id.in_(items))
        ).all())  # fmt: skip
    assert set(read) == items and all(read.values())
    keys = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
            for m in [m.step_materialization_data.materialization]}  # fmt: skip
    assert {"invoices", "invoice_line_items", "product_warehouse_stock"} <= keys


def test_the_queue_sensor_stands_aside_while_a_worker_runs(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    queue_invoice_event(fresh_sandbox, engine)
    res = resources(fresh_sandbox, db_url)
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"database": res["database"]})
        assert isinstance(webhook_worker_sensor(dg.build_sensor_context(instance=instance)),
                          dg.SensorResult)  # fmt: skip
        create_run_for_test(instance, job_name=webhook_worker_job.name,
                            tags={"tsh/worker": "webhooks"},
                            status=dg.DagsterRunStatus.STARTED)  # fmt: skip
        assert isinstance(webhook_queue_sensor(ctx), dg.SkipReason)
        assert isinstance(webhook_worker_sensor(dg.build_sensor_context(instance=instance)),
                          dg.SkipReason)  # fmt: skip
    assert [r["status"] for r in queue_rows(engine)] == ["pending"]  # left to the worker
