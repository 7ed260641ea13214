"""The queue's bookkeeping: a claim costs no attempt, a started event does; backoff; the
sensor claims only for runs it can start."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import dagster as dg
import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.realtime.test_realtime import expire, queue_rows
from tests.webhooks.helpers import ROOT
from tsh_db.dialect import bulk_load
from tsh_db.schema import tds_sync_queue
from tsh_db.types import utcnow
from tsh_pipelines import realtime
from tsh_pipelines.realtime import apply_webhook_events_job, webhook_queue_sensor, zoho_unavailable
from tsh_pipelines.resources import DatabaseResource
from tsh_pipelines.sync import queue
from tsh_pipelines.zoho import ZohoAPIError, ZohoAuthError, ZohoBudgetExhausted, ZohoDailyLimitError


def add_events(engine: Engine, n: int, entity: str = "products") -> None:
    now = utcnow()
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, [{
            "entity_type": entity, "zoho_entity_id": str(4815000000000000100 + i),
            "event_type": "edited", "queued_at": now, "next_attempt_at": now,
        } for i in range(n)])  # fmt: skip


def test_a_claim_whose_run_never_starts_costs_no_attempt(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "MAX_ATTEMPTS", 3)
    add_events(engine, 2)
    claims = []
    for _ in range(queue.MAX_ATTEMPTS + 2):
        claim = queue.claim_batch(engine, 50)
        assert claim is not None and len(claim.rows) == 2
        claims.append(claim.claim_id)
        expire(engine)  # its run sat in Dagster's run queue past the claim's expiry
    rows = queue_rows(engine)
    assert {(r["status"], r["retry_count"]) for r in rows} == {("claimed", 0)}
    assert all(r["claimed_by"] == claims[-1] for r in rows)
    # A run of an older claim that starts at last finds nothing it may take.
    assert queue.claimed(engine, claims[0]) == []
    late = queue.claimed(engine, claims[-1])
    assert len(late) == 2
    assert queue.take(engine, {**late[0], "claimed_by": claims[0]}) is None
    taken = queue.take(engine, late[0])
    assert taken is not None and (taken["status"], taken["retry_count"]) == ("processing", 1)
    assert taken["lease_expires_at"] > utcnow() + queue.LEASE - timedelta(minutes=1)


def test_an_event_that_kills_its_run_is_dead_lettered_after_max_attempts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "MAX_ATTEMPTS", 3)
    add_events(engine, 1)
    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        claim = queue.claim_batch(engine, 50)
        assert claim is not None
        [row] = queue.claimed(engine, claim.claim_id)
        assert queue.take(engine, row)["retry_count"] == attempt  # type: ignore[index]
        expire(engine)  # the run dies while applying it: the lease runs out
    assert queue.claim_batch(engine, 50) is None
    [row] = queue_rows(engine)
    assert (row["status"], row["retry_count"]) == ("dead_letter", 3)
    assert "died" in row["error_message"]


def test_failures_back_off_exponentially_up_to_the_cap(engine: Engine) -> None:
    base, cap = queue.RETRY_BASE_SECONDS, queue.RETRY_MAX_SECONDS
    delays = [queue.retry_delay(n).total_seconds() for n in range(1, 16)]
    assert delays == [min(cap, base * 2 ** (n - 1)) for n in range(1, 16)]
    assert delays[-1] == cap == 6 * 3600 and queue.retry_delay(10_000).total_seconds() == cap
    add_events(engine, 1)
    claim = queue.claim_batch(engine, 50)
    assert claim is not None
    taken = queue.take(engine, queue.claimed(engine, claim.claim_id)[0])
    assert taken is not None
    before = utcnow()
    assert queue.settle(engine, taken, "HTTP 404, code 1002") == "failed"
    [row] = queue_rows(engine)
    assert row["retry_count"] == 1 and row["lease_expires_at"] is None
    wait = (row["next_attempt_at"] - before).total_seconds()
    assert base - 1 <= wait <= base + 1


def test_queue_settings_come_from_the_environment() -> None:
    probe = (
        "from tsh_pipelines.sync import queue as q; from tsh_pipelines import realtime as r; "
        "print(q.MAX_ATTEMPTS, q.RETRY_BASE_SECONDS, q.RETRY_MAX_SECONDS, "
        "q.CLAIM_EXPIRY.total_seconds(), q.LEASE.total_seconds(), r.MAX_RUNS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TSH_")}

    def read(**env: str) -> list[float]:
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**clean, **env},
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert out.returncode == 0, out.stderr
        return [float(v) for v in out.stdout.split()]

    assert read() == [10, 30, 21600, 1800, 600, 4]
    assert read(TSH_QUEUE_MAX_ATTEMPTS="3", TSH_QUEUE_RETRY_BASE_SECONDS="5",
                TSH_QUEUE_RETRY_MAX_SECONDS="3600", TSH_QUEUE_CLAIM_MINUTES="90",
                TSH_QUEUE_LEASE_MINUTES="2", TSH_WEBHOOK_MAX_RUNS="2",
                ) == [3, 5, 3600, 5400, 120, 2]  # fmt: skip


def test_outages_limits_and_budgets_are_zoho_unavailable_not_the_event() -> None:
    def api(status: int, code: int | None = None) -> ZohoAPIError:
        return ZohoAPIError(status, code, "message", "books", "items/1")

    unavailable = [
        api(500), api(503), api(0),  # status 0: timeouts and connection errors, after retries
        api(429, 44), ZohoDailyLimitError(429, 45, "daily limit", "books", "items/1"),
        ZohoBudgetExhausted("books", 8000, 8000, 10000, "sync"), httpx.ConnectError("refused"),
    ]  # fmt: skip
    at_fault = [api(404, 1002), api(400, 2), ZohoAuthError("revoked"), KeyError("item")]
    assert [zoho_unavailable(e) for e in unavailable] == [True] * len(unavailable)
    assert [zoho_unavailable(e) for e in at_fault] == [False] * len(at_fault)


RUN_CONFIG = {"ops": {"apply_webhook_events": {"config": {"claim_id": "earlier"}}}}


def test_the_sensor_claims_only_for_runs_it_can_start(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(realtime, "BATCH_SIZE", 2)
    monkeypatch.setattr(realtime, "MAX_RUNS", 4)
    add_events(engine, 20)
    with dg.instance_for_test() as instance:
        # Three runs not finished (waiting to start or running), two over: one slot is free.
        for status in ("NOT_STARTED", "STARTING", "STARTED", "SUCCESS", "FAILURE"):
            instance.create_run_for_job(
                apply_webhook_events_job, run_config=RUN_CONFIG, status=dg.DagsterRunStatus(status)
            )
        ctx = dg.build_sensor_context(
            instance=instance, resources={"database": DatabaseResource(url=db_url)}
        )
        result = webhook_queue_sensor(ctx)
        assert isinstance(result, dg.SensorResult) and len(result.run_requests or []) == 1
        instance.create_run_for_job(
            apply_webhook_events_job, run_config=RUN_CONFIG, status=dg.DagsterRunStatus.STARTED
        )
        full = webhook_queue_sensor(ctx)
    assert isinstance(full, dg.SkipReason) and "TSH_WEBHOOK_MAX_RUNS=4" in str(full.skip_message)
    statuses = [r["status"] for r in queue_rows(engine)]
    assert statuses.count("claimed") == 2 and statuses.count("pending") == 18
