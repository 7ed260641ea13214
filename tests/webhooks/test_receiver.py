"""The receiver in process (ASGI): what it stores, what it refuses; refusals store nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.webhooks.conftest import MakeClient
from tests.webhooks.helpers import (
    ADMIN_TOKEN,
    BIG_ID,
    NEW_SECRET,
    OLD_SECRET,
    SIGNATURE,
    body_for,
    counts,
    deliver,
    hook_query,
    sign,
)
from tsh_db.engine import get_engine
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_ROUTE
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings
from zoho_sandbox.process import free_port

PRODUCT = body_for("item", "item_id", name="Ceiling fan", last_modified_time="2026-06-01T09:00")


def post(
    client: TestClient, route: str, body: bytes, headers: dict | None = None,
    secret: str = NEW_SECRET, **params: str,
):  # fmt: skip
    """A delivery signed as Zoho signs, over `route=<route>`, `params` and the body."""
    return deliver(client, route, body, secret, headers, **params)


def test_a_signed_delivery_writes_inbox_and_queue_rows(client: TestClient, app_engine: Engine):
    before = utcnow()
    response = post(client, "products", PRODUCT)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "queued"
    assert (answer["entity_type"], answer["entity_id"], answer["event"]) == (
        "products", BIG_ID, "edited",
    )  # fmt: skip
    with app_engine.connect() as conn:
        inbox = conn.execute(select(tds_inbox_events)).mappings().one()
        queue = conn.execute(select(tds_sync_queue)).mappings().one()
    assert inbox["id"] == answer["inbox_id"] and queue["id"] == answer["queue_id"]
    assert inbox["event_id"] == answer["event_id"] and len(inbox["event_id"]) == 64
    assert (inbox["source_type"], inbox["entity_type"], inbox["entity_id"]) == (
        "zoho", "products", BIG_ID,
    )  # fmt: skip
    assert (inbox["event_type"], inbox["status"]) == ("edited", "pending")
    assert inbox["raw_payload"] == json.loads(PRODUCT)
    assert before <= inbox["received_at"] <= utcnow()
    assert queue["inbox_event_id"] == inbox["id"]
    assert (queue["entity_type"], queue["zoho_entity_id"], queue["event_type"]) == (
        "products", BIG_ID, "edited",
    )  # fmt: skip
    assert (queue["status"], queue["priority"], queue["retry_count"]) == ("pending", 5, 0)
    assert queue["queued_at"] == queue["next_attempt_at"] == inbox["received_at"]


def test_every_route_stores_its_registry_entity(client: TestClient, app_engine: Engine) -> None:
    for n, (route, entity) in enumerate(sorted(BY_ROUTE.items())):
        # Zoho may send ids as numbers; they are stored as exact text.
        body = body_for(entity.record_key, entity.id_field, 4815000000000000000 + n)
        response = post(client, route, body, event="created")
        assert response.status_code == 202, (route, response.text)
        assert response.json()["entity_type"] == entity.name
    with app_engine.connect() as conn:
        rows = conn.execute(
            select(tds_sync_queue.c.entity_type, tds_sync_queue.c.zoho_entity_id)
        ).all()
    expected = {
        (e.name, str(4815000000000000000 + n)) for n, (_, e) in enumerate(sorted(BY_ROUTE.items()))
    }
    assert set(rows) == expected


def test_old_and_new_secrets_are_both_accepted(client: TestClient, app_engine: Engine) -> None:
    old = body_for("contact", "contact_id", "1", contact_name="A")
    new = body_for("contact", "contact_id", "2", contact_name="B")
    assert post(client, "customers", old, secret=OLD_SECRET).status_code == 202
    assert post(client, "customers", new, secret=NEW_SECRET).status_code == 202
    # Hex is case-insensitive, and base64 is read too (which one Zoho sends is unconfirmed).
    query = hook_query("customers")
    upper = body_for("contact", "contact_id", "3")
    assert (
        post(client, "customers", upper, {SIGNATURE: sign(upper, query=query).upper()}).status_code
        == 202
    )
    b64 = body_for("contact", "contact_id", "4")
    as_b64 = {SIGNATURE: sign(b64, OLD_SECRET, query, encoding="base64")}
    assert post(client, "customers", b64, as_b64).status_code == 202
    assert counts(app_engine) == (4, 4)


@pytest.mark.parametrize(
    ("headers", "what"),
    [
        ({}, "missing"),
        ({SIGNATURE: ""}, "missing"),
        ({SIGNATURE: sign(PRODUCT, "someOtherSecret123", hook_query("products"))}, "wrong"),
        ({SIGNATURE: sign(PRODUCT + b" ", query=hook_query("products"))}, "wrong"),  # other bytes
        ({SIGNATURE: sign(PRODUCT)}, "wrong"),  # the query left out
        ({SIGNATURE: "zz-not-hex"}, "unreadable"),
        ({SIGNATURE: "0" * 63}, "unreadable"),
    ],
)
def test_bad_signatures_are_refused_and_store_nothing(
    client: TestClient, app_engine: Engine, headers: dict, what: str
) -> None:
    response = post(client, "products", PRODUCT, headers)
    assert response.status_code == 401
    assert f"{SIGNATURE} header is {what}" in response.json()["detail"]
    assert NEW_SECRET not in response.text and OLD_SECRET not in response.text
    assert counts(app_engine) == (0, 0)


def test_without_secrets_every_delivery_is_refused(make_client: MakeClient) -> None:
    client = make_client(webhook_secrets=())
    response = post(client, "products", PRODUCT)
    assert response.status_code == 401
    assert "ZOHO_WEBHOOK_SECRETS is not set" in response.json()["detail"]
    assert counts(client.app.state.engine) == (0, 0)  # type: ignore[attr-defined]


def _chunks(data: bytes):
    for start in range(0, len(data), 100):
        yield data[start : start + 100]


TOO_BIG = body_for("item", "item_id", description="x" * 600)
BAD_INPUT = {
    # name: (route, body, params, status, words the message must contain)
    "unknown route": ("orders", PRODUCT, {}, 404, ["orders", "credit-notes", "products"]),
    "unknown event": ("products", PRODUCT, {"event": "updated"}, 422, ["updated", "created"]),
    "too large": ("products", TOO_BIG, {}, 413, ["512 bytes", "WEBHOOK_MAX_BODY_BYTES"]),
    "not json": ("products", b'{"item": {"item_id": 1', {}, 400, ["not valid JSON"]),
    "NaN": ("products", b'{"item": {"item_id": "1", "rate": NaN}}', {}, 400, ["NaN"]),
    "not utf-8": ("products", b'{"item": {"item_id": "\xff"}}', {}, 400, ["not valid JSON"]),
    "no record": ("products", body_for("contact", "contact_id"), {}, 422, ["'item'", "contact"]),
    "record not an object": ("products", b'{"item": "1"}', {}, 422, ["'item'"]),
    "a list": ("products", b'[{"item": {}}]', {}, 422, ["'item'", "list"]),
    "no id": ("bills", body_for("bill", "vendor_id"), {}, 422, ["'bill_id'"]),
    "empty id": ("bills", body_for("bill", "bill_id", " "), {}, 422, ["'bill_id'"]),
    "boolean id": ("bills", body_for("bill", "bill_id", True), {}, 422, ["'bill_id'"]),
    "float id": ("bills", body_for("bill", "bill_id", 1.5), {}, 422, ["'bill_id'"]),
    "id too long": ("bills", body_for("bill", "bill_id", "9" * 33), {}, 422, ["32 characters"]),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(make_client: MakeClient, case: str):
    client = make_client(max_body_bytes=512)
    route, body, params, status, words = BAD_INPUT[case]
    response = post(client, route, body, **params)
    assert response.status_code == status, response.text
    for word in words:
        assert word in response.json()["detail"]
    assert counts(client.app.state.engine) == (0, 0)  # type: ignore[attr-defined]


def test_a_chunked_body_over_the_limit_is_refused_while_reading(make_client: MakeClient):
    client = make_client(max_body_bytes=512)
    # No Content-Length: only counting the bytes as they arrive can catch this one.
    response = client.post(
        "/api/zoho/webhooks/products", content=_chunks(TOO_BIG), headers={SIGNATURE: "0" * 64}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert counts(client.app.state.engine) == (0, 0)  # type: ignore[attr-defined]


def test_a_body_at_the_limit_is_accepted(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=len(PRODUCT))
    assert post(client, "products", PRODUCT).status_code == 202


def test_a_repeated_delivery_is_a_duplicate(client: TestClient, app_engine: Engine) -> None:
    first = post(client, "products", PRODUCT)
    again = post(client, "products", PRODUCT)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    for key in ("event_id", "inbox_id", "queue_id", "entity_id"):
        assert again.json()[key] == first.json()[key]
    assert counts(app_engine) == (1, 1)


@contextmanager
def failing_queue_inserts(engine: Engine) -> Iterator[None]:
    """A trigger that makes every tds_sync_queue insert fail, after the inbox insert ran."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if pg:
            conn.exec_driver_sql(
                "CREATE FUNCTION fail_queue() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'queue insert refused by test'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER fail_queue BEFORE INSERT ON tds_sync_queue "
                "FOR EACH ROW EXECUTE FUNCTION fail_queue()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER fail_queue BEFORE INSERT ON tds_sync_queue "
                "BEGIN SELECT RAISE(ABORT, 'queue insert refused by test'); END"
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            if pg:
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS fail_queue ON tds_sync_queue")
                conn.exec_driver_sql("DROP FUNCTION IF EXISTS fail_queue()")
            else:
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS fail_queue")


def test_inbox_and_queue_rows_commit_together_or_not_at_all(
    client: TestClient, app_engine: Engine
) -> None:
    body = body_for("invoice", "invoice_id")
    with failing_queue_inserts(app_engine):
        response = post(client, "invoices", body)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "nothing was stored" in response.json()["detail"]
    # The inbox insert ran first and was rolled back with the queue's.
    assert counts(app_engine) == (0, 0)
    # Nothing half-written blocks the redelivery: it is stored, not called a duplicate.
    assert post(client, "invoices", body).status_code == 202
    assert counts(app_engine) == (1, 1)


def test_unreachable_database_answers_503_with_retry_after() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/tsh_nowhere"
    settings = Settings(database_url=closed, webhook_secrets=(NEW_SECRET,), admin_api_token="t")
    with TestClient(create_app(settings)) as client:
        response = post(client, "products", PRODUCT)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert "Zoho will redeliver" in response.json()["detail"]
        assert client.get("/health").status_code == 503
        stats = client.get("/api/zoho/sync/stats", headers={"Authorization": "Bearer t"})
        assert stats.status_code == 503 and stats.headers["retry-after"] == "30"
        # Metrics still answer, saying the database is down rather than inventing a depth.
        metrics = client.get("/metrics").text
        assert "tsh_webhook_database_up 0.0" in metrics
        assert "tsh_sync_queue_depth{" not in metrics
        assert 'outcome="unavailable",route="products"} 1.0' in metrics


def test_content_the_database_refuses_is_a_422(pg_url: str) -> None:
    """PostgreSQL's jsonb refuses NUL characters (SQLite stores them): a retry cannot help."""
    settings = Settings(database_url=pg_url, webhook_secrets=(NEW_SECRET,))
    body = json.dumps({"item": {"item_id": "7", "name": "bad\u0000name"}}).encode()
    with TestClient(create_app(settings)) as client:
        response = post(client, "products", body)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
    assert response.status_code == 422
    assert "fix the record" in response.json()["detail"]
    assert counts(get_engine(pg_url)) == (0, 0)


def test_secrets_never_reach_responses_or_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    texts = [
        post(client, "products", PRODUCT, {SIGNATURE: "0" * 64}).text,
        post(client, "products", PRODUCT).text,
        client.get("/api/zoho/sync/stats", headers={"Authorization": "Bearer wrong"}).text,
        client.get("/openapi.json").text,
        client.get("/metrics").text,
        repr(client.app.state.settings),  # type: ignore[attr-defined]
        caplog.text,
    ]
    for secret in (NEW_SECRET, OLD_SECRET, ADMIN_TOKEN):
        assert not any(secret in t for t in texts)
