"""Ops endpoints in process: auth, and their numbers over rows with known answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from tests.webhooks.conftest import MakeClient
from tests.webhooks.helpers import ADMIN_TOKEN, body_for, deliver
from tsh_db.schema import (
    data_investigation_reports,
    tds_inbox_events,
    tds_sync_queue,
    tds_sync_runs,
)
from tsh_db.types import utcnow
from tsh_webhooks.stats import baghdad_today

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROTECTED = [
    "/api/zoho/sync/stats",
    "/api/zoho/sync/runs",
    "/api/zoho/webhooks/inbox/stats",
    "/api/admin/data-investigation",
]


def queue_row(
    entity: str, status: str, queued: datetime, delay: float | None = None, error: str | None = None
) -> dict[str, Any]:
    # Every row has every key: an executemany takes its columns from the first row.
    done = None if delay is None else queued + timedelta(seconds=delay)
    return {"entity_type": entity, "zoho_entity_id": "1", "event_type": "edited",
            "status": status, "queued_at": queued, "next_attempt_at": queued,
            "processing_completed_at": done, "error_message": error}  # fmt: skip


@pytest.mark.parametrize("path", PROTECTED)
def test_ops_endpoints_need_the_admin_token(make_client: MakeClient, path: str) -> None:
    client = make_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]
    assert client.get(path, headers=ADMIN).status_code == 200
    unset = make_client(admin_api_token=None).get(path, headers=ADMIN)
    assert unset.status_code == 503
    assert "ADMIN_API_TOKEN is not configured" in unset.json()["detail"]


def test_sync_stats_counts_by_status_and_entity_and_the_delay(
    client: TestClient, app_engine: Engine
) -> None:
    now = utcnow()
    rows = [
        queue_row("products", "pending", now),
        queue_row("products", "pending", now),
        queue_row("products", "failed", now - timedelta(hours=1), error="HTTP 500"),
        queue_row("products", "failed", now - timedelta(days=2), error="old"),
        queue_row("products", "completed", now - timedelta(hours=1), delay=10),
        queue_row("customers", "completed", now - timedelta(hours=2), delay=20),
        queue_row("customers", "claimed", now),
        # Completed two days ago: outside the 24 h window of the average.
        queue_row("invoices", "completed", now - timedelta(days=2), delay=1000),
        queue_row("invoices", "processing", now),
        queue_row("bills", "dead_letter", now - timedelta(hours=3)),
    ]
    with app_engine.begin() as conn:
        conn.execute(insert(tds_sync_queue), rows)
    stats = client.get("/api/zoho/sync/stats", headers=ADMIN).json()
    assert stats["queue"] == {
        "pending": 2, "claimed": 1, "processing": 1, "completed": 3, "failed": 2,
        "dead_letter": 1,
    }  # fmt: skip
    assert stats["by_entity"]["products"] == {
        "pending": 2, "claimed": 0, "processing": 0, "completed": 1, "failed": 2,
        "dead_letter": 0,
    }  # fmt: skip
    assert stats["by_entity"]["customers"]["claimed"] == 1
    assert stats["by_entity"]["invoices"]["processing"] == 1
    assert set(stats["by_entity"]) == {"products", "customers", "invoices", "bills"}
    assert stats["sync_delay_avg_seconds"] == pytest.approx(15.0, abs=0.01)
    assert stats["recent_failures"] == [
        {"entity_type": "products", "error_message": "HTTP 500", "count": 1}
    ]


def test_sync_stats_of_an_empty_queue(client: TestClient) -> None:
    stats = client.get("/api/zoho/sync/stats", headers=ADMIN).json()
    assert stats["queue"] == dict.fromkeys(
        ("pending", "claimed", "processing", "completed", "failed", "dead_letter"), 0
    )
    assert stats["by_entity"] == {} and stats["sync_delay_avg_seconds"] is None


def test_sync_runs_newest_first_with_a_limit(make_client: MakeClient) -> None:
    client = make_client(dagster_ui_url="http://dagster.local:3000")
    start = utcnow() - timedelta(days=1)
    runs = [
        {"run_type": "incremental", "entity_type": "products", "status": "completed",
         "started_at": start + timedelta(minutes=n), "processed_items": n,
         "dagster_run_id": f"run-{n}" if n % 2 else None}
        for n in range(12)
    ]  # fmt: skip
    with client.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(tds_sync_runs), runs)
    latest = client.get("/api/zoho/sync/runs", params={"limit": 3}, headers=ADMIN).json()["runs"]
    assert [r["processed_items"] for r in latest] == [11, 10, 9]
    assert latest[0]["dagster_run_url"] == "http://dagster.local:3000/runs/run-11"
    assert latest[1]["dagster_run_url"] is None
    assert len(client.get("/api/zoho/sync/runs", headers=ADMIN).json()["runs"]) == 10
    for bad in (0, 101, "x"):
        response = client.get("/api/zoho/sync/runs", params={"limit": bad}, headers=ADMIN)
        assert response.status_code == 422


def test_inbox_stats_over_the_last_day(client: TestClient, app_engine: Engine) -> None:
    assert client.get("/api/zoho/webhooks/inbox/stats", headers=ADMIN).json()["total"] == 0
    now = utcnow()
    statuses = [("completed", 1)] * 3 + [("failed", 2), ("pending", 0)] + [("completed", 30)] * 2
    rows = [
        {"event_id": f"e{n}", "entity_type": "products", "entity_id": str(n),
         "event_type": "edited", "raw_payload": {}, "status": status,
         "received_at": now - timedelta(hours=hours)}
        for n, (status, hours) in enumerate(statuses)
    ]  # fmt: skip
    with app_engine.begin() as conn:
        conn.execute(insert(tds_inbox_events), rows)
    stats = client.get("/api/zoho/webhooks/inbox/stats", headers=ADMIN).json()
    assert stats == {
        "window_hours": 24, "total": 5, "completed": 3, "failed": 1, "pending": 1,
        "success_rate_percent": 60.0,
    }  # fmt: skip


def test_data_investigation_dashboard(client: TestClient, app_engine: Engine) -> None:
    today = baghdad_today()
    reports = [(0, "healthy"), (1, "warning"), (3, "critical"), (5, "healthy"), (10, "healthy")]
    with app_engine.begin() as conn:
        conn.execute(
            insert(data_investigation_reports),
            [{"report_date": today - timedelta(days=ago), "status": status,
              "report_data": {"products": {"zoho": 100, "db": 100 - ago}},
              "created_at": utcnow()} for ago, status in reports],
        )  # fmt: skip
    week = client.get("/api/admin/data-investigation", headers=ADMIN).json()
    assert (week["total_reports"], week["healthy_count"]) == (4, 2)
    assert (week["warning_count"], week["critical_count"]) == (1, 1)
    assert week["reports"][0] == {
        "date": today.isoformat(), "status": "healthy",
        "data": {"products": {"zoho": 100, "db": 100}},
    }  # fmt: skip
    assert [r["status"] for r in week["reports"]] == ["healthy", "warning", "critical", "healthy"]
    month = client.get("/api/admin/data-investigation?days=30", headers=ADMIN).json()
    assert month["total_reports"] == 5 and month["healthy_count"] == 3


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_deliveries_by_route_and_outcome(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=200)
    body = body_for("item", "item_id", "5", last_modified_time="2026-06-01T09:00")
    id_only = body_for("item", "item_id", "6")
    for delivery in (body, body, id_only, id_only):
        deliver(client, "products", delivery)
    deliver(client, "stock", body, headers={})
    deliver(client, "nowhere", body)
    deliver(client, "bills", b"x" * 300)
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    def deliveries(route: str, outcome: str) -> float:
        key = ("tsh_webhook_deliveries_total", (("outcome", outcome), ("route", route)))
        return samples[key]

    assert deliveries("products", "queued") == 2
    assert deliveries("products", "duplicate") == 1
    assert deliveries("products", "coalesced") == 1
    assert deliveries("stock", "unauthorized") == 1
    assert deliveries("unknown", "invalid") == 1
    assert deliveries("bills", "too_large") == 1
    assert deliveries("prices", "unavailable") == 0  # every series exists from the start
    assert samples[("tsh_sync_queue_depth", (("status", "pending"),))] == 2
    assert samples[("tsh_sync_queue_depth", (("status", "failed"),))] == 0
    assert samples[("tsh_sync_queue_depth", (("status", "claimed"),))] == 0
    assert samples[("tsh_webhook_database_up", ())] == 1


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/zoho/webhooks/{route}"]["post"]
    assert {"202", "200", "401", "413", "503"} <= set(post["responses"])
    assert "DeliveryResult" in spec["components"]["schemas"]
    assert "SyncStats" in spec["components"]["schemas"]
    assert "/api/admin/data-investigation" in spec["paths"]
