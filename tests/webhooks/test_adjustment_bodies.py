"""The stock route takes the `inventory_adjustment` bodies TSH's Zoho sends today; the new
document routes; and the route-coverage rule with a record key two routes take."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.webhooks.helpers import FORM, HOOKS, SIGNATURE, counts, deliver, sign
from tsh_db.schema import tds_inbox_events, tds_sync_queue

STAMP = "2026-07-01T10:00:00+0300"
ADJUSTMENT = {
    "inventory_adjustment_id": "4815000000000007001", "date": "2026-07-01",
    "reason": "Damaged in transit", "adjustment_type": "quantity", "status": "adjusted",
    "reference_number": "ADJ-7", "total": 0, "last_modified_time": STAMP,
    "line_items": [{"line_item_id": "4815000000000007002", "item_id": "4815000000000000555",
                    "quantity_adjusted": -2, "warehouse_id": "4815000000000000901"}],
}  # fmt: skip
WRAPPED = json.dumps({"inventory_adjustment": ADJUSTMENT}).encode()
ITEM = json.dumps({"item": {"item_id": "4815000000000000555", "last_modified_time": STAMP}})


def last_event(engine: Engine) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(tds_inbox_events.c.entity_type, tds_inbox_events.c.raw_payload,
                   tds_sync_queue.c.zoho_entity_id, tds_sync_queue.c.event_type,
                   tds_sync_queue.c.entity_type.label("queued_as"))
            .join(tds_sync_queue, tds_sync_queue.c.inbox_event_id == tds_inbox_events.c.id)
            .order_by(tds_inbox_events.c.id.desc()).limit(1)
        ).one()  # fmt: skip
    return dict(row._mapping)


BODIES = {
    "default payload": (WRAPPED, "application/json", {"inventory_adjustment": ADJUSTMENT}),
    "json sent as a form": (WRAPPED, FORM, {"inventory_adjustment": ADJUSTMENT}),
    "JSONString": (urlencode({"JSONString": WRAPPED.decode()}).encode(), FORM,
                   {"inventory_adjustment": ADJUSTMENT}),
    "bare record": (json.dumps(ADJUSTMENT).encode(), "application/json",
                    {"inventory_adjustment": ADJUSTMENT}),
}  # fmt: skip


@pytest.mark.parametrize("case", BODIES, ids=list(BODIES))
def test_an_inventory_adjustment_on_the_stock_route_is_an_adjustment_event(
    client: TestClient, app_engine: Engine, case: str
) -> None:
    body, content_type, payload = BODIES[case]
    query = {"route": "stock", "event": "edited"}
    headers = {"Content-Type": content_type, SIGNATURE: sign(body, query=query)}
    answer = client.post(f"{HOOKS}/stock", params=query, content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["entity_type"] == "inventory_adjustments"
    event = last_event(app_engine)
    assert (event["entity_type"], event["queued_as"]) == ("inventory_adjustments",) * 2
    assert (event["zoho_entity_id"], event["event_type"]) == (ADJUSTMENT[
        "inventory_adjustment_id"], "edited")  # fmt: skip
    assert event["raw_payload"] == payload


def test_entity_parameters_on_the_stock_route_pick_the_entity_by_their_id_field(
    client: TestClient, app_engine: Engine
) -> None:
    adjustment = deliver(client, "stock", b"inventory_adjustment_id=4815000000000007009")
    assert (adjustment.status_code, adjustment.json()["entity_type"]) == (
        202, "inventory_adjustments")  # fmt: skip
    assert last_event(app_engine)["raw_payload"]["inventory_adjustment"] == {
        "inventory_adjustment_id": "4815000000000007009"
    }
    item = deliver(client, "stock", b"item_id=4815000000000000555")
    assert (item.status_code, item.json()["entity_type"]) == (202, "product_warehouse_stock")


def test_items_on_the_stock_route_are_still_stock_events(
    client: TestClient, app_engine: Engine
) -> None:
    answer = deliver(client, "stock", ITEM.encode(), event="edited")
    assert (answer.status_code, answer.json()["entity_type"]) == (202, "product_warehouse_stock")
    assert last_event(app_engine)["entity_type"] == "product_warehouse_stock"


def test_the_event_header_names_the_adjustment(client: TestClient, app_engine: Engine) -> None:
    headers = {SIGNATURE: sign(WRAPPED, query={"route": "stock"}),
               "X-ZOHO-Event": "inventory_adjustment.deleted"}  # fmt: skip
    answer = deliver(client, "stock", WRAPPED, headers=headers)
    assert (answer.status_code, answer.json()["event"]) == (202, "deleted"), answer.text
    assert last_event(app_engine)["entity_type"] == "inventory_adjustments"


@pytest.mark.parametrize(
    ("route", "record_key", "id_field", "entity"),
    [
        ("inventory-adjustments", "inventory_adjustment", "inventory_adjustment_id",
         "inventory_adjustments"),
        ("transfer-orders", "transfer_order", "transfer_order_id", "transfer_orders"),
        ("sales-orders", "salesorder", "salesorder_id", "sales_orders"),
    ],
)  # fmt: skip
def test_the_document_routes(
    client: TestClient, app_engine: Engine, route: str, record_key: str, id_field: str,
    entity: str,
) -> None:  # fmt: skip
    body = json.dumps({record_key: {id_field: "4815000000000007100",
                                    "last_modified_time": STAMP}}).encode()  # fmt: skip
    answer = deliver(client, route, body, event="created")
    assert (answer.status_code, answer.json()["entity_type"]) == (202, entity), answer.text
    assert last_event(app_engine)["entity_type"] == entity


def test_a_record_key_one_route_takes_needs_no_route(client: TestClient, app_engine: Engine):
    body = json.dumps({"transfer_order": {"transfer_order_id": "4815000000000007200",
                                          "last_modified_time": STAMP}}).encode()  # fmt: skip
    answer = client.post(f"{HOOKS}/transfer-orders", content=body, headers={SIGNATURE: sign(body)})
    assert (answer.status_code, answer.json()["entity_type"]) == (202, "transfer_orders")


@pytest.mark.parametrize("route", ["stock", "inventory-adjustments"])
def test_an_adjustment_as_tshs_zoho_sends_it_today_is_accepted_on_both_routes(
    client: TestClient, app_engine: Engine, route: str
) -> None:
    """No `route` parameter (TSH's rule posts to /stock as it is): an `inventory_adjustment`
    is an adjustment on every route that takes it, so the key covers both, and a replay
    across them stores the same entity's event."""
    answer = client.post(f"{HOOKS}/{route}", content=WRAPPED, headers={SIGNATURE: sign(WRAPPED)})
    assert (answer.status_code, answer.json()["entity_type"]) == (202, "inventory_adjustments")
    assert counts(app_engine) == (1, 1)


def test_an_item_without_a_signed_route_is_still_refused_on_stock(
    client: TestClient, app_engine: Engine
) -> None:
    """An `item` is a product on one route and its stock on the other: it needs `route`."""
    body = json.dumps({"item": {"item_id": "7", "last_modified_time": "2026-01-01T10:00:00+0300"}})
    answer = client.post(f"{HOOKS}/stock", content=body.encode(),
                         headers={SIGNATURE: sign(body.encode())})  # fmt: skip
    assert answer.status_code == 401 and "route=stock" in answer.json()["detail"]
    assert counts(app_engine) == (0, 0)


@pytest.mark.parametrize("other", ["inventory-adjustments", "products", "invoices"])
def test_a_captured_stock_delivery_replayed_on_another_route_is_refused(
    client: TestClient, app_engine: Engine, other: str
) -> None:
    query = {"route": "stock", "event": "edited"}
    headers = {"Content-Type": "application/json", SIGNATURE: sign(WRAPPED, query=query)}
    assert client.post(f"{HOOKS}/stock", params=query, content=WRAPPED,
                       headers=headers).status_code == 202  # fmt: skip
    replay = client.post(f"{HOOKS}/{other}", params=query, content=WRAPPED, headers=headers)
    assert replay.status_code in (401, 422), replay.text
    assert counts(app_engine) == (1, 1)


def test_a_stock_body_with_neither_record_names_both(client: TestClient, app_engine: Engine):
    body = json.dumps({"invoice": {"invoice_id": "7"}}).encode()
    answer = deliver(client, "stock", body)
    assert answer.status_code == 422
    assert "'item' (or 'inventory_adjustment')" in answer.json()["detail"]
    assert counts(app_engine) == (0, 0)
