"""Webhook events end to end: sandbox → receiver → queue → sensor → run → replica."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, live_rows, replicate_all
from tests.replication.test_dagster_assets import resources
from tests.webhooks.helpers import NEW_SECRET, receiver_env, receiver_process
from tests.webhooks.test_sandbox import _poll
from tests.zoho_client.conftest import settings_for
from tsh_db.dialect import bulk_load
from tsh_db.schema import tds_sync_queue, tds_sync_runs
from tsh_db.types import utcnow
from tsh_pipelines.realtime import apply_webhook_events_job, webhook_queue_sensor
from tsh_pipelines.sync import queue
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess


def queue_rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(select(tds_sync_queue).order_by(tds_sync_queue.c.id)).mappings()
        ]


def run_sensor_once(sandbox: SandboxProcess, db_url: str) -> list[dg.RunRequest]:
    """One sensor tick, then each requested run executed in process, as the daemon would."""
    res = resources(sandbox, db_url)
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"database": res["database"]})
        result = webhook_queue_sensor(ctx)
        requests = [] if isinstance(result, dg.SkipReason) else result.run_requests
        for req in requests:
            run = apply_webhook_events_job.execute_in_process(
                run_config=req.run_config, resources=res, instance=instance, tags=req.tags
            )
            assert run.success
    return requests


def test_sandbox_edit_reaches_the_replica_through_sensor_and_run(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with receiver_process(receiver_env(db_url), tmp_path / "receiver.log") as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        live = SandboxProcess(seed=7, items=40, invoices=30, customers=10, vendors=2, bills=5,
                              creditnotes=3, salesorders=3, webhook_url=hooks,
                              webhook_secret=NEW_SECRET, webhook_backoff=0.1, **ROOMY)  # fmt: skip
        with live:
            replicate_all(live, engine)
            changed = live.mutate("items", "update", count=2, fields={"name": "Renamed by webhook"})
            deleted = live.mutate("invoices", "delete", count=1)["records"][0]["id"]
            _poll(lambda: len(queue_rows(engine)), lambda n: n >= 3)
            requests = run_sensor_once(live, db_url)
    assert len(requests) == 1 and requests[0].run_key
    names = live_rows(engine, "products", "name")
    for rec in changed["records"]:
        assert names[str(rec["id"])][0] == "Renamed by webhook"
    assert deleted not in live_rows(engine, "invoices")
    assert {r["status"] for r in queue_rows(engine)} == {"completed"}
    assert run_sensor_once(fresh_sandbox, db_url) == []  # nothing left: a skip, no run


def test_failing_event_is_retried_then_dead_lettered(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "RETRY_BASE_SECONDS", 0.0)
    monkeypatch.setattr(queue, "MAX_ATTEMPTS", 3)
    now = utcnow()
    invoice = fresh_sandbox.records("invoices")[0]["invoice_id"]
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, [{
            "entity_type": "invoices", "zoho_entity_id": str(invoice),
            "event_type": "edited", "queued_at": now, "next_attempt_at": now,
        }])  # fmt: skip
    # Zoho refuses the request (a 4xx, not an outage): retrying is right, and bounded.
    fresh_sandbox.faults(errors=[{"status": 400, "rate": 1.0}])
    statuses = []
    try:
        for _ in range(queue.MAX_ATTEMPTS):
            assert len(run_sensor_once(fresh_sandbox, db_url)) == 1
            statuses.append(queue_rows(engine)[0]["status"])
    finally:
        fresh_sandbox.faults()  # the session's sandbox serves other tests next
    row = queue_rows(engine)[0]
    assert statuses == ["failed"] * 2 + ["dead_letter"]
    assert row["retry_count"] == 3 and "HTTP 400, code 2" in row["error_message"]
    assert run_sensor_once(fresh_sandbox, db_url) == []  # dead letters are not retried


def test_older_payload_after_newer_leaves_the_newer_row(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    invoice = fresh_sandbox.records("invoices")[0]
    newer = {**invoice, "balance": 10, "last_modified_time": "2026-09-01T10:00:00+0300"}
    older = {**invoice, "balance": 99, "last_modified_time": "2026-08-01T10:00:00+0300"}
    zid = invoice["invoice_id"]
    with ZohoClient(settings_for(fresh_sandbox, **ROOMY), engine) as client:
        first = apply_event(client, engine, "invoices", zid, "edited", {"invoice": newer})
        second = apply_event(client, engine, "invoices", zid, "edited", {"invoice": older})
        assert client.stats.total == 0  # full payloads: no Zoho call at all
    assert (first.outcome, second.outcome) == ("upserted", "stale")
    assert live_rows(engine, "invoices", "balance")[zid][0] == 10


def _apply_claim(db_url: str, sandbox_url: str, claim_id: str) -> None:
    class _SB:
        url = sandbox_url

    res = resources(_SB(), db_url)  # type: ignore[arg-type]
    apply_webhook_events_job.execute_in_process(
        run_config={"ops": {"apply_webhook_events": {"config": {"claim_id": claim_id}}}},
        resources=res,
    )


def test_run_killed_mid_batch_spends_an_attempt_only_on_the_event_it_was_applying(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    items = [r for r in fresh_sandbox.records("items") if r.get("source") == "books"][:6]
    now = utcnow()
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, [{
            "entity_type": "products", "zoho_entity_id": str(i["item_id"]), "event_type": "edited",
            "queued_at": now, "next_attempt_at": now,
        } for i in items])  # fmt: skip
    claim = queue.claim_batch(engine, 50)
    assert claim is not None and len(claim.rows) == 6
    assert {r["retry_count"] for r in queue_rows(engine)} == {0}  # claimed: nothing spent yet
    fresh_sandbox.faults(latency_ms=400)  # each fetch is slow: the run is killed mid-batch
    child = multiprocessing.get_context("spawn").Process(
        target=_apply_claim, args=(db_url, fresh_sandbox.url, claim.claim_id)
    )
    child.start()
    _poll(lambda: sum(r["status"] == "completed" for r in queue_rows(engine)), lambda n: n >= 1, 60)
    child.kill()
    child.join()
    fresh_sandbox.faults(latency_ms=0)
    at_kill = {r["id"]: r for r in queue_rows(engine)}
    done_before = {i: r["processing_completed_at"] for i, r in at_kill.items()
                   if r["status"] == "completed"}  # fmt: skip
    in_flight = {i for i, r in at_kill.items() if r["status"] == "processing"}
    assert 1 <= len(done_before) < 6 and len(in_flight) <= 1
    assert {r["status"] for r in at_kill.values()} <= {"completed", "processing", "claimed"}
    expire(engine)  # the dead run's lease and claim run out
    requests = run_sensor_once(fresh_sandbox, db_url)
    assert len(requests) == 1
    rows = queue_rows(engine)
    assert {r["status"] for r in rows} == {"completed"}
    for r in rows:
        if r["id"] in done_before:  # applied once: settled rows were not claimed again
            assert r["processing_completed_at"] == done_before[r["id"]] and r["retry_count"] == 0
        else:  # only the event the dead run had started spent an attempt
            assert r["retry_count"] == (1 if r["id"] in in_flight else 0)
    assert set(live_rows(engine, "products")) >= {str(i["item_id"]) for i in items}


def expire(engine: Engine) -> None:
    """Time passes: every claim and every processing lease runs out."""
    with engine.begin() as conn:
        conn.execute(
            update(tds_sync_queue)
            .where(tds_sync_queue.c.status.in_(["claimed", "processing"]))
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_zoho_out_of_calls_defers_the_batch_without_spending_attempts(
    db_url: str, engine: Engine
) -> None:
    with SandboxProcess(seed=7, items=5, customers=1, vendors=1, invoices=1, bills=1,
                        creditnotes=1, salesorders=1, daily_limit=0, **ROOMY) as spent:  # fmt: skip
        now = utcnow()
        with engine.begin() as conn:
            bulk_load(conn, tds_sync_queue, [{
                "entity_type": "products", "zoho_entity_id": str(4815000000000000200 + n),
                "event_type": "edited", "queued_at": now, "next_attempt_at": now,
            } for n in range(3)])  # fmt: skip
        assert len(run_sensor_once(spent, db_url)) == 1
        rows = queue_rows(engine)
        assert {(r["status"], r["retry_count"]) for r in rows} == {("pending", 0)}
        for r in rows:
            assert r["next_attempt_at"] >= now + timedelta(seconds=queue.RETRY_BASE_SECONDS)
            assert "no attempt spent" in r["error_message"] and "code 45" in r["error_message"]
        with engine.connect() as conn:
            calls = conn.execute(select(tds_sync_runs.c.api_calls)).scalars().all()
        assert calls == [1]  # the first event found Zoho out of calls; the rest never asked
        assert run_sensor_once(spent, db_url) == []  # deferred: not due yet
