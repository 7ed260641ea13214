"""Stock moved by documents, seen from a webhook receiver: the workflow-rule webhooks of
inventory adjustments and transfer orders (bodies, routes, adjustments_route=stock), the
switches for item timestamps and item webhooks both ways, and chaos moving stock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, Zoho, wait_for, zoho_signed
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.process import SandboxProcess

SECRET = "sandboxSecret123"
GENERATED_END = "2026-06-30T23:59:59+0300"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def hooked(receiver: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(**SMALL, no_limits=True, webhook_url=receiver.url,
                        webhook_secret=SECRET, webhook_backoff=0.05) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(hooked: SandboxProcess, receiver: Sink) -> SandboxProcess:
    hooked.reset()  # also restores the start-up switches
    receiver.clear()
    return hooked


def _settled(sb: SandboxProcess) -> None:
    wait_for(lambda: sb.stats()["webhooks"]["pending"] == 0)


def _item(sb: SandboxProcess) -> str:
    return next(i["item_id"] for i in sb.records("items")[2:] if i["source"] == "books")


def _wh(sb: SandboxProcess) -> list[str]:
    return [w["warehouse_id"] for w in sb.records("items")[0]["warehouses"]]


@pytest.mark.parametrize(
    ("entity", "route", "key", "fields"),
    [
        ("inventoryadjustments", "inventory-adjustments", "inventory_adjustment",
         lambda i, w: {"line_items": [{"item_id": i, "quantity_adjusted": -1,
                                       "warehouse_id": w[1]}]}),
        ("transferorders", "transfer-orders", "transfer_order",
         lambda i, w: {"from_warehouse_id": w[0], "to_warehouse_id": w[1],
                       "line_items": [{"item_id": i, "quantity_transfer": 2}]}),
    ],
)  # fmt: skip
def test_workflow_webhooks_of_adjustments_and_transfers(
    sb: SandboxProcess, receiver: Sink, entity: str, route: str, key: str, fields: Any
) -> None:
    item = _item(sb)
    rid = sb.mutate(entity, "create", fields=fields(item, _wh(sb)))["records"][0]["id"]
    wait_for(lambda: receiver.delivered(f"/hooks/{route}?"))  # one at a time: arrival order
    sb.mutate(entity, "update", ids=[rid])
    wait_for(lambda: len(receiver.delivered(f"/hooks/{route}?")) == 2)
    sb.mutate(entity, "delete", ids=[rid])
    _settled(sb)
    hooks = receiver.delivered(f"/hooks/{route}?")
    assert [h["path"] for h in hooks] == [
        f"/hooks/{route}?event={event}&route={route}" for event in ("created", "edited", "deleted")
    ]
    for hook in hooks:
        assert zoho_signed(hook, SECRET) and list(hook["body"]) == [key]
        record = hook["body"][key]
        assert record[f"{key}_id"] == int(rid)  # Inventory's record: ids as JSON numbers
        assert [x["item_id"] for x in record["line_items"]] == [int(item)]
    created, edited = hooks[0]["body"][key], hooks[1]["body"][key]
    if entity == "transferorders":
        assert created["from_warehouse_id"] == int(_wh(sb)[0])
        assert (created["line_items"][0]["quantity_transfer"],
                edited["line_items"][0]["quantity_transfer"]) == (2, 3)  # fmt: skip
    else:
        assert created["line_items"][0]["warehouse_id"] == int(_wh(sb)[1])
        assert (created["line_items"][0]["quantity_adjusted"],
                edited["line_items"][0]["quantity_adjusted"]) == (-1, 0)  # fmt: skip
    assert not receiver.delivered("/hooks/stock")  # no item webhook by default


def test_adjustments_route_stock_sends_the_adjustment_to_stock(
    sb: SandboxProcess, receiver: Sink
) -> None:
    assert sb.switches(adjustments_route="stock")["adjustments_route"] == "stock"
    item = _item(sb)
    line = {"item_id": item, "quantity_adjusted": 3}
    rid = sb.mutate("inventoryadjustments", "create", fields={"line_items": [line]})
    sb.mutate("transferorders", "create")  # transfers keep their own route
    _settled(sb)
    (hook,) = receiver.delivered("/hooks/stock")
    assert hook["path"] == "/hooks/stock?event=created&route=stock" and zoho_signed(hook, SECRET)
    record = hook["body"]["inventory_adjustment"]  # TSH's Zoho today: the adjustment, on /stock
    assert record["inventory_adjustment_id"] == int(rid["records"][0]["id"])
    assert record["line_items"][0]["quantity_adjusted"] == 3
    assert not receiver.delivered("/hooks/inventory-adjustments")
    assert len(receiver.delivered("/hooks/transfer-orders")) == 1


def test_stock_moves_leave_items_alone_by_default(sb: SandboxProcess, receiver: Sink) -> None:
    item = _item(sb)
    before = next(i for i in sb.records("items") if i["item_id"] == item)
    sale = {"line_items": [{"item_id": item, "quantity": 2}]}
    sb.mutate("invoices", "create", fields=sale)
    sb.mutate("stock", "update", ids=[item])  # a hand move: no /stock delivery either
    _settled(sb)
    after = next(i for i in sb.records("items") if i["item_id"] == item)
    assert after["last_modified_time"] == before["last_modified_time"] <= GENERATED_END
    assert after["stock_on_hand"] != before["stock_on_hand"]
    assert len(receiver.delivered("/hooks/invoices?event=created")) == 1
    assert not receiver.delivered("/hooks/stock") and not receiver.delivered("/hooks/products")


def test_switches_on_bump_items_and_send_them_to_stock(sb: SandboxProcess, receiver: Sink) -> None:
    on = sb.switches(stock_moves_bump_modified=True, stock_item_webhooks=True)
    assert on == {
        "stock_moves_bump_modified": True,
        "stock_item_webhooks": True,
        "rate_edits_bump_modified": True,
        "adjustments_route": "inventory-adjustments",
        "documents_move_stock": True,
        "payments_modified_filter": "honoured",
        "contact_type_filter": "honoured",
        "vendors_route": "customers",
    }
    item = _item(sb)
    zoho = Zoho(sb.url)
    zoho.login()
    sale = {"line_items": [{"item_id": item, "quantity": 2}]}
    result = sb.mutate("invoices", "create", fields=sale)["records"][0]
    books = zoho.ok(f"/books/v3/items/{item}")["item"]
    inventory = zoho.ok(f"/inventory/v1/items/{item}")["item"]
    assert books["last_modified_time"] == inventory["last_modified_time"]
    assert books["last_modified_time"] == result["last_modified_time"] > GENERATED_END
    hook = wait_for(lambda: receiver.delivered("/hooks/stock?event=edited&route=stock"))[0]
    assert hook["body"]["item"]["item_id"] == int(item) and zoho_signed(hook, SECRET)
    assert hook["body"]["item"]["stock_on_hand"] == inventory["stock_on_hand"]
    assert sb.stats()["switches"] == on
    sb.reset()
    assert sb.switches()["stock_item_webhooks"] is False  # reset restores start-up switches


def test_switch_validation_and_flags(sb: SandboxProcess) -> None:
    http = sb._client
    for body in ({"adjustments_route": "items"}, {"stock_item_webhooks": "yes"}, {"bump": True}):
        assert http.post("/_sandbox/switches", json=body).status_code == 400
    assert sb.switches()["adjustments_route"] == "inventory-adjustments"
    _, cfg = parse_args(["--stock-item-webhooks", "true", "--adjustments-route", "stock",
                         "--inventory-adjustments", "4", "--transfer-orders", "2"])  # fmt: skip
    assert (cfg.stock_item_webhooks, cfg.adjustments_route) == (True, "stock")
    assert (cfg.inventory_adjustments, cfg.transfer_orders) == (4, 2)
    # documents_move_stock off: a sale leaves stock alone (the sandbox before issue 23)
    sb.switches(documents_move_stock=False)
    item = _item(sb)
    before = next(i for i in sb.records("items") if i["item_id"] == item)
    sale = {"line_items": [{"item_id": item, "quantity": 2}]}
    assert "stock_moved" not in sb.mutate("invoices", "create", fields=sale)["records"][0]
    assert next(i for i in sb.records("items") if i["item_id"] == item) == before
    _, default = parse_args([])
    assert (default.stock_moves_bump_modified, default.stock_item_webhooks) == (False, False)
    assert (
        default.documents_move_stock
        and not parse_args(["--documents-move-stock", "false"])[1].documents_move_stock
    )


def _expected_moves(sb: SandboxProcess, created: dict[str, list[str]]) -> dict[tuple, int]:
    """The on-hand change per (item, warehouse) that the README's rules give the documents
    chaos created (all in their waiting status: sent, open, adjusted, transferred)."""
    out: dict[tuple, int] = defaultdict(int)
    sign = {"invoices": -1, "bills": 1}
    for entity, ids in created.items():
        by_id = {r[next(k for k in r if k.endswith("_id"))]: r for r in sb.records(entity)}
        for rid in ids:
            rec = by_id[rid]
            for x in rec["line_items"]:
                if entity in sign:
                    out[x["item_id"], x["warehouse_id"]] += sign[entity] * int(x["quantity"])
                elif entity == "inventoryadjustments":
                    out[x["item_id"], x["warehouse_id"]] += int(x["quantity_adjusted"])
                else:
                    out[x["item_id"], rec["from_warehouse_id"]] -= int(x["quantity_transfer"])
                    out[x["item_id"], rec["to_warehouse_id"]] += int(x["quantity_transfer"])
    return {k: v for k, v in out.items() if v}


def test_chaos_creates_documents_that_move_stock(sb: SandboxProcess) -> None:
    def on_hand() -> dict[tuple, int]:
        return {(i["item_id"], w["warehouse_id"]): w["warehouse_stock_on_hand"]
                for i in sb.records("items") for w in i["warehouses"]}  # fmt: skip

    before = on_hand()
    kinds = ["invoices", "bills", "inventoryadjustments", "transferorders"]
    sb.chaos(seed=4, rate=2, actions=["create"], entities=kinds)
    zoho = Zoho(sb.url)
    zoho.login()
    for _ in range(6):
        zoho.ok("/inventory/v1/inventoryadjustments", per_page=5)
    stats = sb.stop_chaos() and sb.stats()["chaos"]
    assert stats["mutations"] == 12 and len(stats["created"]) >= 2
    after = on_hand()
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed and changed == _expected_moves(sb, stats["created"])
