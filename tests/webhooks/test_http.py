"""The real thing: `python -m tsh_webhooks` as a process, over HTTP on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from tests.conftest import DIALECTS
from tests.webhooks.helpers import (
    ADMIN_TOKEN,
    NEW_SECRET,
    OLD_SECRET,
    SIGNATURE,
    body_for,
    counts,
    deliver,
    hook_query,
    receiver_env,
    receiver_process,
    sign,
)
from tsh_db.engine import get_engine
from tsh_db.schema import metadata, tds_inbox_events, tds_sync_queue

MAX_BODY = 4096


@pytest.fixture(scope="module", params=DIALECTS)
def served(
    request: pytest.FixtureRequest,
    migrated_urls: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, Engine, Path]]:
    """One receiver process per dialect for this module: (client, engine, its log file)."""
    url = migrated_urls(request.param)
    log = tmp_path_factory.mktemp("receiver") / "receiver.log"
    env = receiver_env(url, WEBHOOK_MAX_BODY_BYTES=str(MAX_BODY))
    with receiver_process(env, log) as client:
        yield client, get_engine(url), log


@pytest.fixture
def live(served: tuple[httpx.Client, Engine, Path]) -> tuple[httpx.Client, Engine]:
    client, engine, _ = served
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return client, engine


def test_signatures_over_http(live: tuple[httpx.Client, Engine]) -> None:
    client, engine = live
    one, two, three = (body_for("item", "item_id", str(n)) for n in (1, 2, 3))
    assert deliver(client, "products", one, headers={}).status_code == 401
    wrong = {SIGNATURE: sign(one, "notTheSecret12", hook_query("products"))}
    assert deliver(client, "products", one, headers=wrong).status_code == 401
    assert counts(engine) == (0, 0)
    # Both secrets of a rotation are accepted.
    assert deliver(client, "products", two, OLD_SECRET, event="created").status_code == 202
    assert deliver(client, "products", three, NEW_SECRET, event="edited").status_code == 202
    assert counts(engine) == (2, 2)


@pytest.mark.parametrize(
    ("route", "params", "body", "status"),
    [
        ("products", {}, b"x" * (MAX_BODY + 1), 413),
        ("products", {}, b"{not json", 400),
        ("products", {}, body_for("contact", "contact_id"), 422),
        ("credit-notes", {}, body_for("creditnote", "customer_id"), 422),
        ("orders", {}, body_for("salesorder", "salesorder_id"), 404),
        ("products", {"event": "modified"}, body_for("item", "item_id"), 422),
    ],
)
def test_bad_deliveries_over_http_store_nothing(
    live: tuple[httpx.Client, Engine], route: str, params: dict, body: bytes, status: int
) -> None:
    client, engine = live
    response = deliver(client, route, body, **params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert counts(engine) == (0, 0)


def test_twenty_concurrent_copies_store_one_event(live: tuple[httpx.Client, Engine]) -> None:
    client, engine = live
    body = body_for("invoice", "invoice_id", "4815000000000000777", total=1250000,
                    last_modified_time="2026-06-01T09:00:00+0300")  # fmt: skip
    start = threading.Barrier(20)

    def send(_: int) -> httpx.Response:
        start.wait()  # all twenty leave together, so they really race
        return deliver(client, "invoices", body)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [202], [r.text for r in responses if r.status_code >= 300]
    assert [r.json()["status"] for r in responses].count("duplicate") == 19
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert len({r.json()["queue_id"] for r in responses}) == 1
    assert counts(engine) == (1, 1)


def test_twenty_concurrent_id_only_copies_are_never_dropped(
    live: tuple[httpx.Client, Engine],
) -> None:
    """Without a version a copy cannot be told from a new edit: each one either is stored or
    joins a pending event of the record; a second event is harmless, a dropped one is not."""
    client, engine = live
    body = body_for("item", "item_id", "4815000000000000778")  # Zoho's id-only payload
    start = threading.Barrier(20)

    def send(_: int) -> httpx.Response:
        start.wait()
        return deliver(client, "products", body)

    with ThreadPoolExecutor(20) as pool:
        answers = [r.json() for r in pool.map(send, range(20))]
    assert {a["status"] for a in answers} <= {"queued", "coalesced"}, answers
    queued = {a["queue_id"] for a in answers if a["status"] == "queued"}
    assert queued and {a["queue_id"] for a in answers} == queued  # coalesced into stored rows
    assert counts(engine) == (len(queued), len(queued))


def test_distinct_concurrent_deliveries_are_each_stored_with_their_queue_row(
    live: tuple[httpx.Client, Engine],
) -> None:
    client, engine = live
    ids = [str(4815000000000001000 + n) for n in range(12)]

    def send(zoho_id: str) -> httpx.Response:
        body = body_for("bill", "bill_id", zoho_id)
        return deliver(client, "bills", body, event="created")

    with ThreadPoolExecutor(6) as pool:
        assert {r.status_code for r in pool.map(send, ids)} == {202}
    with engine.connect() as conn:
        rows = conn.execute(
            select(tds_inbox_events.c.entity_id, tds_sync_queue.c.zoho_entity_id,
                   tds_sync_queue.c.entity_type, tds_sync_queue.c.event_type)
            .join(tds_sync_queue, tds_sync_queue.c.inbox_event_id == tds_inbox_events.c.id)
        ).all()  # fmt: skip
    assert sorted(r[0] for r in rows) == ids
    assert all(r[0] == r[1] and r[2:] == ("bills", "created") for r in rows)
    assert counts(engine) == (12, 12)


def test_ops_over_http(live: tuple[httpx.Client, Engine]) -> None:
    client, _ = live
    body = body_for("contact", "contact_id", "42")
    assert deliver(client, "customers", body).status_code == 202
    assert client.get("/api/zoho/sync/stats").status_code == 401
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    stats = client.get("/api/zoho/sync/stats", headers=admin).json()
    assert stats["by_entity"]["customers"]["pending"] == 1
    inbox = client.get("/api/zoho/webhooks/inbox/stats", headers=admin).json()
    assert (inbox["total"], inbox["pending"], inbox["success_rate_percent"]) == (1, 1, 0.0)
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    metrics = client.get("/metrics").text
    assert 'tsh_webhook_deliveries_total{outcome="queued",route="customers"}' in metrics
    assert 'tsh_sync_queue_depth{status="pending"} 1.0' in metrics


def test_the_log_holds_no_secret(served: tuple[httpx.Client, Engine, Path]) -> None:
    """Runs after the module's other tests for this dialect, so the log has seen them all."""
    log = served[2].read_text()
    assert "POST /api/zoho/webhooks/products" in log  # the log is the one we think it is
    for secret in (NEW_SECRET, OLD_SECRET, ADMIN_TOKEN):
        assert secret not in log
