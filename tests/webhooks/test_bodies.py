"""Every body Zoho may send whatever Content-Type says, every method, every event source,
and the rule that the signature must cover the route."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.webhooks.helpers import FORM, HOOKS, SIGNATURE, body_for, counts, deliver, sign
from tsh_db.schema import tds_inbox_events, tds_sync_queue

STAMP = "2026-07-01T10:00:00+0300"
RECORD = {"item_id": "4815000000000000555", "name": "Fan", "last_modified_time": STAMP}
WRAPPED = json.dumps({"item": RECORD}).encode()


def stored(engine: Engine) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(tds_inbox_events.c.raw_payload, tds_inbox_events.c.event_id,
                   tds_sync_queue.c.event_type, tds_sync_queue.c.zoho_entity_id)
            .join(tds_sync_queue, tds_sync_queue.c.inbox_event_id == tds_inbox_events.c.id)
            .order_by(tds_inbox_events.c.id.desc()).limit(1)
        ).one()  # fmt: skip
    return dict(row._mapping)


BODIES = {
    # name: (body, lying content type, the payload stored)
    "json as a form": (WRAPPED, FORM, {"item": RECORD}),
    "bare record": (json.dumps(RECORD).encode(), "application/json", {"item": RECORD}),
    "JSONString": (urlencode({"JSONString": WRAPPED.decode()}).encode(), "application/json",
                   {"item": RECORD}),
    "JSONString bare": (urlencode({"JSONString": json.dumps(RECORD)}).encode(), FORM,
                        {"item": RECORD}),
    "fields": (urlencode(RECORD).encode(), "text/plain",
               {"item": {"item_id": RECORD["item_id"]}, "entity_parameters": RECORD}),
}  # fmt: skip


@pytest.mark.parametrize("case", BODIES, ids=list(BODIES))
def test_every_body_type_is_read_whatever_the_content_type(
    client: TestClient, app_engine: Engine, case: str
) -> None:
    body, content_type, payload = BODIES[case]
    headers = {"Content-Type": content_type, SIGNATURE: sign(body, query={"route": "products"})}
    answer = deliver(client, "products", body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["entity_id"] == RECORD["item_id"]
    row = stored(app_engine)
    assert row["raw_payload"] == payload
    assert not row["event_id"].startswith("id-only:")  # every body named its version


def test_an_id_only_form_is_an_id_only_event(client: TestClient, app_engine: Engine) -> None:
    body = b"item_id=4815000000000000556"
    first, again = deliver(client, "products", body), deliver(client, "products", body)
    assert (first.status_code, again.json()["status"]) == (202, "coalesced")
    assert stored(app_engine)["event_id"].startswith("id-only:")


@pytest.mark.parametrize(
    ("method", "params", "header", "event"),
    [
        ("PUT", {}, None, "edited"),
        ("DELETE", {}, None, "deleted"),
        ("DELETE", {"event": "edited"}, None, "edited"),  # a signed event says otherwise
        ("POST", {}, "item.deleted", "deleted"),
        ("POST", {}, "item.created", "created"),
        ("POST", {}, "item.updated", "edited"),
        ("PUT", {"event": "created"}, "item.deleted", "created"),  # the query wins
    ],
)
def test_the_event_comes_from_the_query_else_the_header_else_the_method(
    client: TestClient, app_engine: Engine, method: str, params: dict, header: str | None,
    event: str,
) -> None:  # fmt: skip
    query = {"route": "products", **params}
    headers = {SIGNATURE: sign(WRAPPED, query=query)}
    if header:
        headers["X-ZOHO-Event"] = header
    answer = deliver(client, "products", WRAPPED, headers=headers, method=method, **params)
    assert (answer.status_code, answer.json()["event"]) == (202, event), answer.text
    assert stored(app_engine)["event_type"] == event


def test_an_event_header_about_other_records_is_refused(client: TestClient, app_engine: Engine):
    headers = {SIGNATURE: sign(WRAPPED, query={"route": "products"}),
               "X-ZOHO-Event": "salesorder.delivered"}  # fmt: skip
    answer = deliver(client, "products", WRAPPED, headers=headers)
    assert answer.status_code == 422 and "'salesorder'" in answer.json()["detail"]
    invoice = body_for("invoice", "invoice_id", "7")
    paid = {SIGNATURE: sign(invoice), "X-ZOHO-Event": "invoice.paid"}
    answer = client.post(f"{HOOKS}/invoices", content=invoice, headers=paid)
    assert (answer.status_code, answer.json()["event"]) == (202, "edited")
    assert counts(app_engine) == (1, 1)


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("products", WRAPPED),  # products and stock both take an item
        ("stock", WRAPPED),
        ("invoices", json.dumps({"invoice_id": "7"}).encode()),  # a bare record
        ("invoices", b"invoice_id=7"),  # entity parameters
    ],
)
def test_without_a_signed_route_an_ambiguous_body_is_refused(
    client: TestClient, app_engine: Engine, route: str, body: bytes
) -> None:
    answer = client.post(f"{HOOKS}/{route}", content=body, headers={SIGNATURE: sign(body)})
    assert answer.status_code == 401
    assert f"route={route}" in answer.json()["detail"]
    assert counts(app_engine) == (0, 0)


def test_a_record_key_only_one_route_takes_needs_no_route(client: TestClient, app_engine: Engine):
    body = body_for("invoice", "invoice_id", "7", last_modified_time=STAMP)
    query = {"event": "created"}
    answer = client.post(f"{HOOKS}/invoices", params=query, content=body,
                         headers={SIGNATURE: sign(body, query=query)})  # fmt: skip
    assert (answer.status_code, answer.json()["event"]) == (202, "created")
    assert counts(app_engine) == (1, 1)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"JSONString=%7Bnot-json", 400, "JSONString field is not valid JSON"),
        (b"item_id=%FF", 400, "neither JSON nor"),
        (b"a=1&&junk", 400, "neither JSON nor"),
        (b"", 422, "'item_id'"),
        (b"name=Fan", 422, "'item_id'"),
    ],
)
def test_bad_forms_get_a_clear_4xx_and_store_nothing(
    client: TestClient, app_engine: Engine, body: bytes, status: int, words: str
) -> None:
    answer = deliver(client, "products", body)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert counts(app_engine) == (0, 0)
