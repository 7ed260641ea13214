"""Corners where a replica can drift from Zoho: edits that share one `last_modified_time`,
custom webhook bodies carrying a few fields, deliveries of one record arriving reversed, and
a stock move there and back again that sends the very same bytes twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, Zoho, wait_for, zoho_signed
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.process import SandboxProcess
from zoho_sandbox.webhooks import DeliveryPolicy

SECRET = "cornerSecret123"
PHONES = ("+964 7700000001", "+964 7700000002", "+964 7700000003")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def cornered(receiver: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(**SMALL, books_rpm=100_000, inventory_rpm=100_000,
                        webhook_url=receiver.url, webhook_secret=SECRET, webhook_backoff=0.05,
                        stock_moves_bump_modified=False,
                        stock_item_webhooks=True) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(cornered: SandboxProcess, receiver: Sink) -> SandboxProcess:
    cornered.reset()
    receiver.clear()
    receiver.fail_first = 0
    return cornered


def _contact_id(sb: SandboxProcess) -> str:
    return sb.records("contacts")[3]["contact_id"]


def _phones(receiver: Sink, n: int) -> list[str]:
    hooks = wait_for(lambda: (h := receiver.delivered("/hooks/customers")) and len(h) >= n and h)
    assert len(hooks) == n
    return [h["body"]["contact"]["phone"] for h in sorted(hooks, key=lambda h: h["at"])]


# -- same-second edits ----------------------------------------------------------------------
def test_same_second_edits_share_the_stamp_while_the_content_differs(
    sb: SandboxProcess, receiver: Sink
) -> None:
    cid = _contact_id(sb)
    first = sb.mutate("contacts", "update", ids=[cid], fields={"phone": PHONES[0]})
    sb.clock(skew=sb.clock()["skew"] + 30)  # the clock moves on: the stamp must not
    second = sb.mutate("contacts", "update", ids=[cid], fields={"phone": PHONES[1]},
                       same_second=True)  # fmt: skip
    stamp = first["records"][0]["last_modified_time"]
    assert second["records"][0]["last_modified_time"] == stamp
    zoho = Zoho(sb.url)
    zoho.login()
    contact = zoho.ok(f"/books/v3/contacts/{cid}")["contact"]
    assert contact["phone"] == PHONES[1] and contact["last_modified_time"] == stamp
    hooks = wait_for(lambda: len(h := receiver.delivered("/hooks/customers")) == 2 and h)
    bodies = [h["body"]["contact"] for h in hooks]
    assert {b["last_modified_time"] for b in bodies} == {stamp}
    assert {b["phone"] for b in bodies} == set(PHONES[:2])
    # without same_second the moved clock shows
    third = sb.mutate("contacts", "update", ids=[cid], fields={"phone": PHONES[2]})
    assert third["records"][0]["last_modified_time"] > stamp


def test_same_second_must_be_a_boolean(sb: SandboxProcess) -> None:
    body = {"entity": "contacts", "action": "update", "same_second": "yes"}
    resp = httpx.post(f"{sb.url}/_sandbox/mutate", json=body)
    assert resp.status_code == 400 and "same_second" in resp.json()["error"]


# -- partial custom bodies ------------------------------------------------------------------
def test_partial_bodies_carry_the_id_the_stamp_and_a_few_fields(
    sb: SandboxProcess, receiver: Sink
) -> None:
    cid = _contact_id(sb)
    truth = sb.webhooks(partial=True)["webhooks"]
    assert truth["partial"] is True and truth["partial_fields"] == []
    sb.mutate("contacts", "update", ids=[cid], fields={"phone": PHONES[0]})
    (hook,) = wait_for(lambda: receiver.delivered("/hooks/customers"))
    record = next(r for r in sb.records("contacts") if r["contact_id"] == cid)
    body = hook["body"]["contact"]
    assert list(body) == ["contact_id", "contact_name", "status", "last_modified_time"]
    assert body == {k: record[k] for k in body}  # true values, just not the whole record
    assert "phone" not in body and zoho_signed(hook, SECRET)

    receiver.clear()
    sb.webhooks(partial=["phone", "no_such_field"], body="fields")
    sb.mutate("contacts", "update", ids=[cid], fields={"phone": PHONES[1]})
    (hook,) = wait_for(lambda: receiver.delivered("/hooks/customers"))
    assert hook["body"] == {
        "contact_id": cid,
        "phone": PHONES[1],
        "last_modified_time": hook["body"]["last_modified_time"],
    }
    assert zoho_signed(hook, SECRET)
    # documents: the number and status by default
    receiver.clear()
    sb.webhooks(partial=True)
    sb.mutate("invoices", "update")
    (hook,) = wait_for(lambda: receiver.delivered("/hooks/invoices"))
    assert set(hook["body"]["invoice"]) == {
        "invoice_id", "invoice_number", "status", "last_modified_time",
    }  # fmt: skip


def test_partial_and_id_only_exclude_each_other(sb: SandboxProcess) -> None:
    resp = httpx.post(f"{sb.url}/_sandbox/webhooks", json={"partial": True, "id_only": True})
    assert resp.status_code == 400
    resp = httpx.post(f"{sb.url}/_sandbox/webhooks", json={"partial": 3})
    assert resp.status_code == 400


# -- deliveries of one record, reversed ------------------------------------------------------
def test_held_deliveries_of_one_record_arrive_reversed(sb: SandboxProcess, receiver: Sink) -> None:
    cid = _contact_id(sb)
    sb.webhooks(order="reverse", hold=3)
    receiver.fail_first = 1  # the first one sent fails once: the others wait for its retry
    for n, phone in enumerate(PHONES):
        sb.mutate("contacts", "update", ids=[cid], fields={"phone": phone})
        if n < 2:
            assert sb.stats()["webhooks"]["held"] == n + 1
            assert receiver.received == []
    assert _phones(receiver, 3) == list(reversed(PHONES))
    assert sb.stats()["webhooks"]["held"] == 0


def test_flush_releases_a_partial_batch_in_reverse(sb: SandboxProcess, receiver: Sink) -> None:
    cid = _contact_id(sb)
    sb.webhooks(order="reverse")  # hold 0: until flushed
    for phone in PHONES[:2]:
        sb.mutate("contacts", "update", ids=[cid], fields={"phone": phone})
    assert sb.stats()["webhooks"]["held"] == 2 and receiver.received == []
    assert sb.flush_webhooks() == 2
    assert _phones(receiver, 2) == [PHONES[1], PHONES[0]]
    assert sb.flush_webhooks() == 0


def test_shuffled_batches_replay_by_seed(sb: SandboxProcess, receiver: Sink) -> None:
    ids = [r["contact_id"] for r in sb.records("contacts")[:6]]

    def arrival(seed: int) -> list[str]:
        receiver.clear()
        sb.webhooks(order="shuffle", hold=6, seed=seed)
        for cid in ids:
            sb.mutate("contacts", "update", ids=[cid])
        hooks = wait_for(lambda: len(h := receiver.delivered("/hooks/customers")) == 6 and h)
        return [h["body"]["contact"]["contact_id"] for h in sorted(hooks, key=lambda h: h["at"])]

    first = arrival(5)
    assert sorted(first) == sorted(ids) and first != ids
    assert arrival(5) == first


def test_bad_order_settings_are_refused(sb: SandboxProcess) -> None:
    for body in ({"order": "backwards"}, {"order": "reverse", "hold": -1}):
        assert httpx.post(f"{sb.url}/_sandbox/webhooks", json=body).status_code == 400


# -- A -> B -> A without a version change ------------------------------------------------------
def _stock_hooks(receiver: Sink, n: int) -> list[dict[str, Any]]:
    hooks = wait_for(lambda: len(h := receiver.delivered("/hooks/stock")) >= n and h)
    return sorted(hooks, key=lambda h: h["at"])


def test_stock_there_and_back_sends_identical_bytes(sb: SandboxProcess, receiver: Sink) -> None:
    item = sb.records("items")[5]
    item_id, a = item["item_id"], item["stock_on_hand"]
    for n, total in enumerate((a, a + 7, a), start=1):
        moved = sb.mutate("stock", "update", ids=[item_id], fields={"stock_on_hand": total})
        assert moved["records"][0]["stock_on_hand"] == total
        assert moved["records"][0]["last_modified_time"] == item["last_modified_time"]
        _stock_hooks(receiver, n)  # one at a time, so arrival order is mutation order
    first, second, third = _stock_hooks(receiver, 3)
    assert first["raw"] == third["raw"] != second["raw"]
    sig = "X-Zoho-Webhook-Signature"
    assert first["headers"][sig] == third["headers"][sig] != second["headers"][sig]
    body = json.loads(second["raw"])["item"]
    assert body["stock_on_hand"] == a + 7
    assert body["last_modified_time"] == item["last_modified_time"]  # no version change
    # only the primary warehouse moved; the others kept their numbers
    assert [w["warehouse_stock_on_hand"] for w in body["warehouses"][1:]] == [
        w["warehouse_stock_on_hand"] for w in item["warehouses"][1:]
    ]


def test_stock_set_per_warehouse_and_refusals(sb: SandboxProcess) -> None:
    item = sb.records("items")[6]
    wids = [w["warehouse_id"] for w in item["warehouses"]]
    moved = sb.mutate("stock", "update", ids=[item["item_id"]],
                      fields={"stock_on_hand": {wids[1]: 11, wids[2]: 0}})  # fmt: skip
    after = next(r for r in sb.records("items") if r["item_id"] == item["item_id"])
    assert [w["warehouse_stock_on_hand"] for w in after["warehouses"]] == [
        item["warehouses"][0]["warehouse_stock_on_hand"], 11, 0,
    ]  # fmt: skip
    assert moved["records"][0]["stock_on_hand"] == after["stock_on_hand"]
    # below what the other warehouses hold (11 now), negative, or an unknown warehouse
    for fields in ({"stock_on_hand": 5}, {"stock_on_hand": -1}, {"stock_on_hand": {"123": 4}}):
        resp = httpx.post(f"{sb.url}/_sandbox/mutate", json={
            "entity": "stock", "action": "update", "ids": [item["item_id"]], "fields": fields,
        })  # fmt: skip
        assert resp.status_code == 400, fields


def test_start_up_flags_set_partial_bodies_and_held_order() -> None:
    _args, cfg = parse_args(["--webhook-partial-fields", "phone,contact_name",
                             "--webhook-order", "reverse", "--webhook-hold", "3"])  # fmt: skip
    policy = DeliveryPolicy.from_config(cfg)
    assert policy.partial and policy.partial_fields == ("phone", "contact_name")
    assert (policy.order, policy.hold) == ("reverse", 3)
    assert DeliveryPolicy.from_config(parse_args(["--webhook-partial"])[1]).partial_fields == ()
    with pytest.raises(SystemExit):
        parse_args(["--webhook-partial", "--webhook-id-only"])
