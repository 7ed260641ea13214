"""Webhook deliveries misbehaving like Zoho under load (id-only bodies, repeats, reordering,
drops), and deleting / re-creating the Consumer price book."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import (
    SMALL,
    Sink,
    Zoho,
    assert_zoho_error,
    wait_for,
    zoho_signed,
)
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.config import SandboxConfig
from zoho_sandbox.process import SandboxProcess
from zoho_sandbox.state import Sandbox

SECRET = "sandboxSecret123"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def hooked(receiver: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(
        **SMALL,
        books_rpm=100_000,
        inventory_rpm=100_000,
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        webhook_retries=2,
        webhook_backoff=0.05,
        stock_item_webhooks=True,  # the stock mutation's item record goes to /stock
    ) as sb:
        yield sb


@pytest.fixture
def sb(hooked: SandboxProcess, receiver: Sink) -> SandboxProcess:
    hooked.reset()  # also restores the start-up delivery policy
    receiver.clear()
    return hooked


def _settled(sb: SandboxProcess) -> dict[str, Any]:
    return wait_for(lambda: (w := sb.stats()["webhooks"])["pending"] == 0 and w)


def _signed(delivery: dict[str, Any]) -> bool:
    return zoho_signed(delivery, SECRET)


def test_id_only_bodies(sb: SandboxProcess, receiver: Sink) -> None:
    policy = sb.webhooks(body="id_only")["webhooks"]  # the old name: a JSON body, id only
    assert (policy["body"], policy["id_only"]) == ("json", True)
    item = sb.mutate("items", "update")["records"][0]["id"]
    stock = sb.mutate("stock", "update")["records"][0]["id"]
    invoice = sb.mutate("invoices", "delete")["records"][0]["id"]
    _settled(sb)
    raws = {h["path"]: h for h in receiver.delivered("/hooks/")}
    assert (
        raws["/hooks/products?event=edited&route=products"]["raw"]
        == b'{"item":{"item_id":"%s"}}' % item.encode()
    )
    # stock deliveries carry Inventory records: the id stays a JSON number
    # (the invoice's delete returned stock too: its items also went to /stock)
    stock_raws = [h["raw"] for h in receiver.delivered("/hooks/stock?event=edited&route=stock")]
    assert b'{"item":{"item_id":%s}}' % stock.encode() in stock_raws
    deleted = raws["/hooks/invoices?event=deleted&route=invoices"]
    assert deleted["body"] == {"invoice": {"invoice_id": invoice}}
    assert all(_signed(h) for h in raws.values())


def test_repeats_send_identical_bytes_twice(sb: SandboxProcess, receiver: Sink) -> None:
    sb.webhooks(repeat_rate=1.0)
    sb.mutate("invoices", "update", count=3)
    hooks = _settled(sb)
    raws = Counter(h["raw"] for h in receiver.delivered("/hooks/invoices"))
    assert len(raws) == 3 and set(raws.values()) == {2}
    assert hooks["repeated"] == 3 and hooks["delivered"] == 6

    sb.webhooks(repeat_rate=0.5, seed=4)
    receiver.clear()
    sb.mutate("invoices", "update", count=20)
    hooks = _settled(sb)
    repeated = hooks["repeated"] - 3
    assert 0 < repeated < 20
    assert len(receiver.delivered("/hooks/invoices")) == 20 + repeated


def test_drops_are_never_delivered(sb: SandboxProcess, receiver: Sink) -> None:
    sb.webhooks(drop_rate=1.0)
    sb.mutate("invoices", "update", count=3)
    hooks = _settled(sb)
    assert hooks["dropped"] == 3 and hooks["attempts"] == 0
    sb.webhooks(drop_rate=0.5, seed=4)
    changed = {r["id"] for r in sb.mutate("invoices", "update", count=20)["records"]}
    hooks = _settled(sb)
    dropped = hooks["dropped"] - 3
    got = {h["body"]["invoice"]["invoice_id"] for h in receiver.delivered("/hooks/invoices")}
    assert 0 < dropped < 20 and len(got) == 20 - dropped and got < changed


def test_delays_reorder_deliveries(sb: SandboxProcess, receiver: Sink) -> None:
    sb.webhooks(reorder_ms=600, seed=2, body="id_only")
    order = [r["id"] for r in sb.mutate("invoices", "update", count=15)["records"]]
    hooks = wait_for(lambda: len(receiver.delivered("/hooks/invoices")) == 15 and _settled(sb))
    arrived = sorted(receiver.delivered("/hooks/invoices"), key=lambda h: h["at"])
    assert hooks["delayed"] == 15 and hooks["delivered"] == 15
    assert sorted(order) == sorted(h["body"]["invoice"]["invoice_id"] for h in arrived)
    assert [h["body"]["invoice"]["invoice_id"] for h in arrived] != order
    assert arrived[-1]["at"] - arrived[0]["at"] > 0.1  # spread over the delay window


def test_empty_body_restores_good_deliveries(sb: SandboxProcess, receiver: Sink) -> None:
    sb.webhooks(body="id_only", drop_rate=1.0)
    policy = sb.webhooks()["webhooks"]
    assert policy == {
        "body": "json",
        "id_only": False,
        "partial": False,
        "partial_fields": [],
        "method": "POST",
        "signing": "zoho",
        "event_in": "query",
        "route_param": True,
        "params": "",
        "repeat_rate": 0.0,
        "reorder_ms": 0,
        "drop_rate": 0.0,
        "seed": 0,
        "off": [],
        "order": "sent",
        "hold": 0,
    }
    sb.mutate("invoices", "update")
    _settled(sb)
    (hook,) = wait_for(lambda: receiver.delivered("/hooks/invoices"))
    assert hook["body"]["invoice"]["line_items"] and _signed(hook)


def test_bad_webhook_settings_are_refused(sb: SandboxProcess) -> None:
    for body in (
        {"body": "partial"},
        {"drop_rate": 2},
        {"repeat_rate": -0.1},
        {"reorder_ms": -5},
        {"seed": "x"},
        {"method": "GET"},
        {"signing": "md5"},
        {"event_in": "body"},
        {"route_param": "yes"},
        {"id_only": 1},
        {"params": 5},
        {"params": "no-equals-sign"},
    ):
        assert sb._client.post("/_sandbox/webhooks", json=body).status_code == 400, body
    assert sb.stats()["webhooks"]["policy"]["body"] == "json"


def test_cli_flags_set_the_start_policy() -> None:
    _args, cfg = parse_args(
        [
            "--webhook-body",
            "id_only",
            "--webhook-repeat-rate",
            "0.25",
            "--webhook-reorder-ms",
            "300",
            "--webhook-drop-rate",
            "0.1",
            "--webhook-seed",
            "9",
        ]
    )
    assert (
        cfg.webhook_body,
        cfg.webhook_repeat_rate,
        cfg.webhook_reorder_ms,
        cfg.webhook_drop_rate,
        cfg.webhook_seed,
    ) == ("id_only", 0.25, 300, 0.1, 9)
    with pytest.raises(SystemExit):
        parse_args(["--webhook-drop-rate", "1.5"])
    with pytest.raises(SystemExit):
        parse_args(["--webhook-body", "partial"])
    small = SandboxConfig(
        items=5,
        invoices=5,
        bills=1,
        creditnotes=1,
        salesorders=1,
        customers=2,
        vendors=1,
        webhook_body="id_only",
        webhook_reorder_ms=50,
    )
    sandbox = Sandbox(small)
    assert (sandbox.webhooks.policy.body, sandbox.webhooks.policy.id_only) == ("json", True)
    sandbox.webhooks.configure(type(sandbox.webhooks.policy)())
    sandbox.reset()  # reset goes back to what the flags said, not to the last POST
    policy = sandbox.webhooks.policy
    assert (policy.id_only, policy.reorder_ms) == (True, 50)


def test_consumer_price_book_deleted_and_recreated(sb: SandboxProcess, receiver: Sink) -> None:
    zoho = Zoho(sb.url)
    zoho.login()
    old = next(b for b in sb.records("pricebooks") if b["name"] == "Consumer")
    sb.mutate("pricebooks", "update", ids=[old["pricebook_id"]], count=4)  # rates move first
    priced = {
        li["item_id"]: li["pricebook_rate"]
        for li in zoho.ok(f"/books/v3/pricebooks/{old['pricebook_id']}")["pricebook"][
            "pricebook_items"
        ]
    }
    sb.mutate("pricebooks", "delete", ids=[old["pricebook_id"]])
    assert_zoho_error(zoho.get(f"/books/v3/pricebooks/{old['pricebook_id']}"), 404, 1002)
    assert "Consumer" not in {b["name"] for b in zoho.ok("/books/v3/pricebooks")["pricebooks"]}

    created = sb.mutate("pricebooks", "create", fields={"name": "Consumer"})["records"][0]
    assert created["id"] != old["pricebook_id"]
    books = zoho.ok("/books/v3/pricebooks")["pricebooks"]
    assert [b["pricebook_id"] for b in books if b["name"] == "Consumer"] == [created["id"]]
    new = zoho.ok(f"/books/v3/pricebooks/{created['id']}")["pricebook"]
    assert new["name"] == "Consumer" and new["currency_code"] == "IQD"
    # the same items at the rates the deleted book had last, under new line ids
    assert {li["item_id"]: li["pricebook_rate"] for li in new["pricebook_items"]} == priced
    old_lines = {li["pricebook_item_id"] for li in old["pricebook_items"]}
    assert not {str(li["pricebook_item_id"]) for li in new["pricebook_items"]} & old_lines

    _settled(sb)
    events = [
        (h["path"], h["body"]["pricebook"]["pricebook_id"])
        for h in receiver.delivered("/hooks/prices")
    ]
    assert ("/hooks/prices?event=deleted&route=prices", old["pricebook_id"]) in events
    assert ("/hooks/prices?event=created&route=prices", created["id"]) in events
    assert all(_signed(h) for h in receiver.delivered("/hooks/prices"))


def test_other_price_book_creates(sb: SandboxProcess) -> None:
    unnamed = sb.mutate("pricebooks", "create")["records"][0]["id"]
    wholesale = sb.mutate("pricebooks", "create", fields={"name": "Wholesale"})["records"][0]["id"]
    books = {b["pricebook_id"]: b for b in sb.records("pricebooks")}
    assert books[unnamed]["name"].startswith("Price Book ")
    assert len(books[unnamed]["pricebook_items"]) == 5
    original = next(
        b for b in books.values() if b["name"] == "Wholesale" and b["pricebook_id"] != wholesale
    )
    assert books[wholesale]["currency_code"] == "USD"
    assert {li["item_id"] for li in books[wholesale]["pricebook_items"]} == {
        li["item_id"] for li in original["pricebook_items"]
    }
