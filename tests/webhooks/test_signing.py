"""Signatures as Zoho signs them, the raw-body variant, replays, and the rejections list."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.webhooks.conftest import MakeClient
from tests.webhooks.helpers import (
    ADMIN_TOKEN,
    HOOKS,
    NEW_SECRET,
    OLD_SECRET,
    SIGNATURE,
    body_for,
    counts,
    raw_sign,
    sign,
)
from tsh_db.schema import tds_sync_queue
from tsh_webhooks.rejections import Rejections
from tsh_webhooks.signature import signing_string

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
STAMP = "2026-07-01T10:00:00+0300"
ITEM = body_for("item", "item_id", "9001", name="Fan", last_modified_time=STAMP)
INVOICE = body_for("invoice", "invoice_id", "7001", last_modified_time=STAMP)
QUERY = "event=edited&route=products&source=zoho%20books"


def rejections(client: TestClient) -> list[dict]:
    answer = client.get("/api/zoho/webhooks/rejections", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["rejections"]


def test_the_signing_string_is_the_facts_files_example() -> None:
    body = b'{"created_date":"2019-03-06","event_id":"5675"}'
    signed = signing_string([("subscription_id", "90343"), ("name", "basic")], [], body)
    assert signed == b'namebasicsubscription_id90343{"created_date":"2019-03-06","event_id":"5675"}'


def test_a_delivery_signed_as_the_facts_file_says_is_accepted(
    client: TestClient, app_engine: Engine
) -> None:
    """Query event=edited plus other parameters, JSON body, in hex and in base64."""
    query = [("event", "edited"), ("route", "products"), ("source", "zoho books")]
    hex_sig = sign(ITEM, NEW_SECRET, query)
    first = client.post(f"{HOOKS}/products?{QUERY}", content=ITEM, headers={SIGNATURE: hex_sig})
    assert (first.status_code, first.json()["event"]) == (202, "edited"), first.text
    other = ITEM.replace(b"9001", b"9002")
    b64 = {SIGNATURE: sign(other, OLD_SECRET, query, encoding="base64")}
    assert client.post(f"{HOOKS}/products?{QUERY}", content=other, headers=b64).status_code == 202
    assert counts(app_engine) == (2, 2)


def test_the_raw_body_variant_is_accepted_only_without_acted_on_parameters(
    client: TestClient, app_engine: Engine
) -> None:
    raw = {SIGNATURE: raw_sign(INVOICE)}
    # No query at all, or only parameters the receiver ignores: the body is all that matters.
    assert client.post(f"{HOOKS}/invoices", content=INVOICE, headers=raw).status_code == 202
    other = INVOICE.replace(b"7001", b"7002")
    plain = {SIGNATURE: raw_sign(other)}
    assert client.post(f"{HOOKS}/invoices?src=x", content=other, headers=plain).status_code == 202
    # An event it does not cover cannot ride on it.
    deleted = client.post(f"{HOOKS}/invoices?event=deleted", content=INVOICE, headers=raw)
    assert deleted.status_code == 401
    assert "raw-body variant was not tried: it does not cover event" in deleted.json()["detail"]
    # Nor can a route it does not name: products and stock both carry an item.
    item = client.post(f"{HOOKS}/products", content=ITEM, headers={SIGNATURE: raw_sign(ITEM)})
    assert item.status_code == 401 and "route=products" in item.json()["detail"]
    assert counts(app_engine) == (2, 2)
    with app_engine.connect() as conn:
        events = conn.execute(select(tds_sync_queue.c.event_type)).scalars().all()
    assert events == ["edited", "edited"]


def test_replays_with_a_changed_event_route_or_parameter_are_refused_and_listed(
    client: TestClient, app_engine: Engine
) -> None:
    signed_query = [("event", "edited"), ("route", "products"), ("source", "zoho books")]
    headers = {SIGNATURE: sign(ITEM, NEW_SECRET, signed_query)}
    first = client.post(f"{HOOKS}/products?{QUERY}", content=ITEM, headers=headers)
    assert first.status_code == 202
    replays = {
        "event": f"{HOOKS}/products?{QUERY.replace('edited', 'deleted')}",
        "route": f"{HOOKS}/stock?{QUERY}",  # the signed query untouched, another path
        "parameter": f"{HOOKS}/products?{QUERY.replace('books', 'inventory')}",
        "parameter dropped": f"{HOOKS}/products?event=edited&route=products",
    }
    for what, path in replays.items():
        answer = client.post(path, content=ITEM, headers=headers)
        assert answer.status_code == 401, (what, answer.text)
    assert counts(app_engine) == (1, 1)
    listed = rejections(client)
    assert [r["route"] for r in listed] == ["products", "products", "stock", "products"]
    assert "signed for route 'products', not 'stock'" in listed[2]["reason"]
    wrong = listed[0]
    assert (wrong["status"], wrong["outcome"], wrong["signature"]) == (401, "unauthorized", "hex")
    assert wrong["signature_variants_tried"] and "raw body" not in wrong["signature_variants_tried"]
    assert (wrong["body_bytes"], wrong["body_type"]) == (len(ITEM), "json")
    assert wrong["query_parameters"] == ["event", "route"] and wrong["method"] == "POST"


def test_rejections_need_the_admin_token_and_never_hold_a_body_or_secret(
    make_client: MakeClient,
) -> None:
    client = make_client(max_body_bytes=400)
    secret_body = body_for("item", "item_id", "TOPSECRET-ID", name="TOPSECRET-NAME")
    client.post(f"{HOOKS}/products?event=edited", content=secret_body, headers={})
    client.post(f"{HOOKS}/products", content=b"x" * 500, headers={"Content-Type": "text/plain"})
    client.post(f"{HOOKS}/nowhere", content=secret_body, headers={SIGNATURE: "zz"})
    client.post(f"{HOOKS}/bills?event=paid", content=b"{}", headers={SIGNATURE: "0" * 64})
    bad_record = body_for("bill", "vendor_id", "TOPSECRET-ID")
    client.post(f"{HOOKS}/bills", content=bad_record, headers={SIGNATURE: sign(bad_record)})
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert client.get("/api/zoho/webhooks/rejections", headers=headers).status_code == 401
    listed = rejections(client)
    assert [(r["route"], r["status"]) for r in listed] == [
        ("bills", 422), ("bills", 422), ("nowhere", 404), ("products", 413), ("products", 401),
    ]  # fmt: skip
    assert listed[4]["signature"] == "missing" and listed[3]["body_bytes"] == 500
    assert listed[3]["content_type"] == "text/plain"
    assert "'bill_id'" in listed[0]["reason"] and "unknown event" in listed[1]["reason"].lower()
    text = json.dumps(listed)
    for secret in ("TOPSECRET", NEW_SECRET, OLD_SECRET, ADMIN_TOKEN):
        assert secret not in text
    limited = client.get("/api/zoho/webhooks/rejections?limit=2", headers=ADMIN).json()
    assert len(limited["rejections"]) == 2 and limited["kept"] >= 100


def test_the_rejections_list_is_bounded(client: TestClient) -> None:
    client.app.state.rejections = Rejections(kept=3)  # type: ignore[attr-defined]
    for n in range(5):
        client.post(f"{HOOKS}/nowhere-{n}", content=b"{}")
    listed = rejections(client)
    assert [r["route"] for r in listed] == ["nowhere-4", "nowhere-3", "nowhere-2"]
