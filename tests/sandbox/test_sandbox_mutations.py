"""Control API: mutations with signed, retried webhooks; stats; reset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.sandbox.sandbox_helpers import (
    SMALL,
    Sink,
    Zoho,
    assert_zoho_error,
    wait_for,
    zoho_signed,
)
from zoho_sandbox.process import SandboxProcess, free_port

SECRET = "sandboxSecret123"
GENERATED_END = "2026-06-30T23:59:59+0300"


@pytest.fixture(scope="module")
def hooked(sink: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(
        **SMALL,
        books_rpm=100_000,
        inventory_rpm=100_000,
        webhook_url=sink.url,
        webhook_secret=SECRET,
        webhook_retries=3,
        webhook_backoff=0.05,
        stock_item_webhooks=True,  # test_stock_update's item record on /stock
    ) as sb:
        yield sb


@pytest.fixture(scope="module")
def initial(hooked: SandboxProcess) -> dict[str, list[dict[str, Any]]]:
    return {e: hooked.records(e) for e in ("items", "invoices", "contacts", "pricebooks")}


@pytest.fixture(scope="module")
def zoho(hooked: SandboxProcess, initial: dict) -> Zoho:
    client = Zoho(hooked.url)
    client.login()
    return client


def _signed(delivery: dict[str, Any]) -> bool:
    return zoho_signed(delivery, SECRET)


def test_update_bumps_time_and_sends_signed_webhook(
    hooked: SandboxProcess, zoho: Zoho, sink: Sink
) -> None:
    result = hooked.mutate("invoices", "update", count=2)
    assert result["entity"] == "invoices" and len(result["records"]) == 2
    ids = {r["id"] for r in result["records"]}
    stamp = result["records"][0]["last_modified_time"]
    assert stamp > GENERATED_END and stamp.endswith("+0300")
    for rid in ids:
        doc = zoho.ok(f"/books/v3/invoices/{rid}")["invoice"]
        assert doc["last_modified_time"] == stamp
    changed = zoho.list_all("/books/v3/invoices", "invoices", last_modified_time=stamp)
    assert {r["invoice_id"] for r in changed} == ids
    hooks = wait_for(
        lambda: len(sink.delivered("/hooks/invoices")) == 2 and sink.delivered("/hooks/invoices")
    )
    assert {h["body"]["invoice"]["invoice_id"] for h in hooks} == ids
    for hook in hooks:
        assert hook["path"].endswith("?event=edited&route=invoices")
        assert hook["headers"]["Content-Type"] == "application/json"
        assert _signed(hook)
        assert hook["body"]["invoice"]["line_items"]
    # the sink refused the very first delivery: it was retried
    assert sink.received[0]["status"] == 500
    stats = wait_for(lambda: (s := hooked.stats())["webhooks"]["delivered"] >= 2 and s)
    assert stats["webhooks"]["attempts"] >= stats["webhooks"]["delivered"] + 1


def test_later_mutations_never_go_back_in_time(hooked: SandboxProcess) -> None:
    first = hooked.mutate("bills", "update", count=1)["records"][0]["last_modified_time"]
    second = hooked.mutate("bills", "update", count=1)["records"][0]["last_modified_time"]
    assert second >= first > GENERATED_END


def test_create_then_delete_contact(hooked: SandboxProcess, zoho: Zoho, sink: Sink) -> None:
    created = hooked.mutate("contacts", "create", count=1, fields={"notes": "new shop"})
    rid = created["records"][0]["id"]
    contact = zoho.ok(f"/books/v3/contacts/{rid}")["contact"]
    assert contact["notes"] == "new shop" and contact["contact_type"] == "customer"
    assert rid in {c["contact_id"] for c in zoho.list_all("/books/v3/contacts", "contacts")}
    hooked.mutate("contacts", "delete", ids=[rid])
    assert_zoho_error(zoho.get(f"/books/v3/contacts/{rid}"), 404, 1002)
    assert rid not in {c["contact_id"] for c in zoho.list_all("/books/v3/contacts", "contacts")}

    def events() -> list[str]:
        return sorted(
            dict(parse_qsl(urlsplit(h["path"]).query))["event"]
            for h in sink.delivered("/hooks/customers")
            if h["body"]["contact"]["contact_id"] == rid
        )

    wait_for(lambda: len(events()) == 2)
    assert events() == ["created", "deleted"]


def test_update_item_fields(hooked: SandboxProcess, zoho: Zoho, sink: Sink) -> None:
    rid = zoho.ok("/books/v3/items", per_page=1)["items"][0]["item_id"]
    hooked.mutate("items", "update", ids=[rid], fields={"status": "inactive", "rate": 1234.0})
    item = zoho.ok(f"/books/v3/items/{rid}")["item"]
    assert (item["status"], item["rate"]) == ("inactive", 1234.0)
    assert rid not in {r["item_id"] for r in zoho.list_all("/books/v3/items", "items")}
    hook = wait_for(
        lambda: [
            h for h in sink.delivered("/hooks/products") if h["body"]["item"]["item_id"] == rid
        ]
    )
    assert hook[0]["body"]["item"]["rate"] == 1234.0 and _signed(hook[0])


def test_stock_update(hooked: SandboxProcess, zoho: Zoho, sink: Sink) -> None:
    rid = zoho.ok("/inventory/v1/items", per_page=1, page=3)["items"][0]["item_id"]
    result = hooked.mutate("stock", "update", ids=[str(rid)])
    item = zoho.ok(f"/inventory/v1/items/{rid}")["item"]
    assert item["stock_on_hand"] == result["records"][0]["stock_on_hand"]
    assert sum(w["warehouse_stock_on_hand"] for w in item["warehouses"]) == item["stock_on_hand"]
    hook = wait_for(lambda: sink.delivered("/hooks/stock"))
    assert hook[0]["path"].endswith("?event=edited&route=stock") and _signed(hook[0])
    assert f'"item_id":{rid},' in hook[0]["raw"].decode()  # Inventory shape: numeric id
    assert hook[0]["body"]["item"]["warehouses"]


def test_pricebook_update(hooked: SandboxProcess, zoho: Zoho, sink: Sink, initial: dict) -> None:
    consumer = next(b for b in initial["pricebooks"] if b["name"] == "Consumer")
    result = hooked.mutate("pricebooks", "update", ids=[consumer["pricebook_id"]])
    changed = set(result["records"][0]["item_ids"])
    before = {li["item_id"]: li["pricebook_rate"] for li in consumer["pricebook_items"]}
    after = zoho.ok(f"/books/v3/pricebooks/{consumer['pricebook_id']}")["pricebook"]
    rates = {str(li["item_id"]): li["pricebook_rate"] for li in after["pricebook_items"]}
    assert changed and all(rates[i] != before[i] for i in changed)
    assert all(rates[i] == before[i] for i in before if i not in changed and i in rates)
    hook = wait_for(lambda: sink.delivered("/hooks/prices"))
    assert hook[0]["body"]["pricebook"]["pricebook_items"]


def test_pricebook_update_defaults_to_consumer(hooked: SandboxProcess, initial: dict) -> None:
    consumer = next(b for b in initial["pricebooks"] if b["name"] == "Consumer")
    result = hooked.mutate("pricebooks", "update", count=3)
    assert [r["id"] for r in result["records"]] == [consumer["pricebook_id"]]
    assert len(set(result["records"][0]["item_ids"])) == 3


def test_sales_orders_send_to_their_route(hooked: SandboxProcess, sink: Sink) -> None:
    # Zoho's workflow rules cover sales orders: the sandbox sends them to `sales-orders`
    result = hooked.mutate("salesorders", "update", count=2)
    ids = {r["id"] for r in result["records"]}
    hooks = wait_for(
        lambda: len(
            h := [d for d in sink.delivered("/hooks/sales-orders?event=edited&route=sales-orders")
                  if d["body"]["salesorder"]["salesorder_id"] in ids]
        ) == 2 and h
    )  # fmt: skip
    assert all(_signed(h) for h in hooks)


def test_mutate_validation(hooked: SandboxProcess) -> None:
    http = hooked._client
    assert (
        http.post("/_sandbox/mutate", json={"entity": "journals", "action": "update"}).status_code
        == 400
    )
    assert (
        http.post("/_sandbox/mutate", json={"entity": "stock", "action": "create"}).status_code
        == 400
    )
    assert (
        http.post(
            "/_sandbox/mutate", json={"entity": "items", "action": "delete", "ids": ["123"]}
        ).status_code
        == 404
    )


def test_control_calls_are_not_zoho_calls(hooked: SandboxProcess, initial: dict) -> None:
    before = hooked.stats()
    hooked.records("items")
    hooked.mutate("items", "update", count=1)
    after = hooked.stats()
    assert after["totals"] == before["totals"]
    assert after["daily_used"] == before["daily_used"]


def test_reset_restores_seed_state(hooked: SandboxProcess, zoho: Zoho, initial: dict) -> None:
    hooked.mutate("invoices", "delete", count=3)
    assert hooked.records("invoices") != initial["invoices"]
    hooked.reset()
    for entity, records in initial.items():
        assert hooked.records(entity) == records
    stats = hooked.stats()
    assert stats["totals"]["books"]["total"] == 0 and stats["tokens_issued"] == 0
    assert stats["webhooks"]["attempts"] == 0
    assert_zoho_error(zoho.get("/books/v3/items"), 401, 57)  # tokens were reset too


def test_webhook_gives_up_after_retries() -> None:
    # nothing listens on the target port: every attempt is a connection error
    with SandboxProcess(
        items=5,
        invoices=5,
        bills=2,
        creditnotes=2,
        salesorders=2,
        customers=3,
        vendors=1,
        webhook_retries=2,
        webhook_backoff=0.01,
        webhook_url=f"http://127.0.0.1:{free_port()}/x",
    ) as sb:
        sb.mutate("items", "update", count=1)
        hooks = wait_for(lambda: (w := sb.stats()["webhooks"])["failed"] == 1 and w)
    assert hooks["attempts"] == 3 and hooks["delivered"] == 0
