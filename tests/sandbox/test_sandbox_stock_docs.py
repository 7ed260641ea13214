"""Documents move stock per warehouse, as the sandbox's README documents: created, edited
and deleted through /_sandbox/mutate, in both inventory modes, seen through Inventory's item
detail (per warehouse or location, and totals) and Books' item records (totals)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Zoho
from zoho_sandbox.process import SandboxProcess

GENERATED_END = "2026-06-30T23:59:59+0300"
Moves = dict[int, tuple[int, int]]  # warehouse index -> (on hand, committed) change


@pytest.fixture(scope="module", params=["warehouses", "locations"])
def org(request: pytest.FixtureRequest) -> Iterator[SandboxProcess]:
    with SandboxProcess(**SMALL, inventory_mode=request.param, no_limits=True) as sb:
        yield sb


@pytest.fixture
def zoho(org: SandboxProcess) -> Zoho:
    org.reset()  # every test starts from the seed world
    client = Zoho(org.url)
    client.login()
    return client


@pytest.fixture
def item(org: SandboxProcess, zoho: Zoho) -> str:
    return next(i["item_id"] for i in org.records("items")[3:] if i["source"] == "books")


@pytest.fixture
def wh(zoho: Zoho) -> list[str]:
    return [
        str(w["warehouse_id"]) for w in zoho.ok("/inventory/v1/settings/warehouses")["warehouses"]
    ]


def stock(zoho: Zoho, item_id: str) -> dict[str, Any]:
    """Per warehouse (on hand, committed, for sale, actual available) and totals, after
    checking that every number agrees with the others and with Books."""
    item = zoho.ok(f"/inventory/v1/items/{item_id}")["item"]
    p = "location" if "locations" in item else "warehouse"
    per = {
        str(w[f"{p}_id"]): (w[f"{p}_stock_on_hand"], w[f"{p}_committed_stock"],
                            w[f"{p}_available_for_sale_stock"], w[f"{p}_actual_available_stock"])
        for w in item[f"{p}s"]
    }  # fmt: skip
    for on_hand, committed, for_sale, _actual in per.values():
        assert for_sale == on_hand - committed
    assert item["stock_on_hand"] == item["available_stock"] == sum(v[0] for v in per.values())
    assert (
        item["committed_stock"] == item["actual_committed_stock"] == sum(v[1] for v in per.values())
    )
    assert item["available_for_sale_stock"] == item["stock_on_hand"] - item["committed_stock"]
    assert item["actual_available_stock"] == sum(v[3] for v in per.values())
    assert item["actual_available_for_sale_stock"] == (
        item["actual_available_stock"] - item["committed_stock"]
    )
    books = zoho.ok(f"/books/v3/items/{item_id}")["item"]  # one database behind both APIs
    (detailed,) = zoho.ok("/books/v3/itemdetails", item_ids=item_id)["items"]
    for key in ("stock_on_hand", "available_stock", "actual_available_stock"):
        assert books[key] == detailed[key] == item[key]
    return {"per": per, "lmt": item["last_modified_time"]}


def moved(before: dict[str, Any], after: dict[str, Any], wh: list[str]) -> Moves:
    out = {}
    for n, wid in enumerate(wh):
        (b_on, b_com, *_), (a_on, a_com, *_) = before["per"][wid], after["per"][wid]
        if (a_on - b_on, a_com - b_com) != (0, 0):
            out[n] = (a_on - b_on, a_com - b_com)
    return out


def line(item: str, wh: list[str], n: int | None, **qty: int) -> dict[str, Any]:
    out: dict[str, Any] = {"item_id": item, **qty}
    if n is not None:
        out["warehouse_id"] = wh[n]
    return out


# entity -> (create fields, its moves, edit fields, moves after the edit); `n` = a warehouse
def cases(item: str, wh: list[str]) -> dict[str, tuple[dict, Moves, dict, Moves]]:
    sale = {"line_items": [line(item, wh, 1, quantity=3)]}
    moved_sale = {"line_items": [line(item, wh, None, quantity=5)]}  # no warehouse: primary
    return {
        "invoices": (sale, {1: (-3, 0)}, moved_sale, {0: (-5, 0)}),
        "bills": (sale, {1: (3, 0)}, moved_sale, {0: (5, 0)}),
        "creditnotes": (sale, {1: (3, 0)}, moved_sale, {0: (5, 0)}),
        "salesorders": ({**sale, "status": "confirmed"}, {1: (0, 3)}, {"status": "closed"}, {}),
        "inventoryadjustments": (
            {"line_items": [line(item, wh, 2, quantity_adjusted=-2),
                            line(item, wh, 1, quantity=4)]},
            {2: (-2, 0), 1: (4, 0)},
            {"line_items": [line(item, wh, 2, quantity_adjusted=7)]},
            {2: (7, 0)},
        ),
        "transferorders": (
            {"from_warehouse_id": wh[0], "to_warehouse_id": wh[2],
             "line_items": [line(item, wh, None, quantity_transfer=4)]},
            {0: (-4, 0), 2: (4, 0)},
            {"status": "in_transit"},  # left the source, not yet arrived
            {0: (-4, 0)},
        ),
    }  # fmt: skip


KINDS = ["invoices", "bills", "creditnotes", "salesorders", "inventoryadjustments",
         "transferorders"]  # fmt: skip


@pytest.mark.parametrize("entity", KINDS)
def test_documents_move_stock_and_deletes_reverse(
    org: SandboxProcess, zoho: Zoho, item: str, wh: list[str], entity: str
) -> None:
    create, created_moves, edit, edited_moves = cases(item, wh)[entity]
    before = stock(zoho, item)
    result = org.mutate(entity, "create", fields=create)["records"][0]
    assert result["stock_moved"] == [item]
    assert moved(before, stock(zoho, item), wh) == created_moves
    org.mutate(entity, "update", ids=[result["id"]], fields=edit)  # old undone, new applied
    after_edit = stock(zoho, item)
    assert moved(before, after_edit, wh) == edited_moves
    org.mutate(entity, "delete", ids=[result["id"]])
    after = stock(zoho, item)
    assert after["per"] == before["per"]
    # by default a stock move leaves the item's last_modified_time alone
    assert after["lmt"] == after_edit["lmt"] == before["lmt"] <= GENERATED_END


def test_statuses_that_move_nothing(
    org: SandboxProcess, zoho: Zoho, item: str, wh: list[str]
) -> None:
    before = stock(zoho, item)
    sale = [line(item, wh, 0, quantity=2)]
    inv = org.mutate("invoices", "create", fields={"line_items": sale, "status": "draft"})
    org.mutate("salesorders", "create", fields={"line_items": sale, "status": "draft"})
    value = [line(item, wh, 0, value_adjusted=5000)]
    org.mutate("inventoryadjustments", "create",
               fields={"adjustment_type": "value", "line_items": value})  # fmt: skip
    org.mutate("transferorders", "create", fields={
        "status": "draft", "from_warehouse_id": wh[1], "to_warehouse_id": wh[0],
        "line_items": [line(item, wh, None, quantity_transfer=1)]})  # fmt: skip
    assert moved(before, stock(zoho, item), wh) == {}
    # a draft invoice sent takes the stock out; voided, it gives it back
    org.mutate("invoices", "update", ids=[inv["records"][0]["id"]], fields={"status": "sent"})
    assert moved(before, stock(zoho, item), wh) == {0: (-2, 0)}
    org.mutate("invoices", "update", ids=[inv["records"][0]["id"]], fields={"status": "void"})
    assert moved(before, stock(zoho, item), wh) == {}


def test_generated_documents_return_their_stock_when_deleted(
    org: SandboxProcess, zoho: Zoho
) -> None:
    bill = next(b for b in org.records("bills") if b["status"] not in ("draft", "void"))
    first = bill["line_items"][0]
    wanted = sum(x["quantity"] for x in bill["line_items"] if x["item_id"] == first["item_id"]
                 and x["warehouse_id"] == first["warehouse_id"])  # fmt: skip
    on_hand = stock(zoho, first["item_id"])["per"][first["warehouse_id"]][0]
    result = org.mutate("bills", "delete", ids=[bill["bill_id"]])["records"][0]
    assert first["item_id"] in result["stock_moved"]
    assert stock(zoho, first["item_id"])["per"][first["warehouse_id"]][0] == on_hand - wanted


def test_created_documents_carry_whole_lines(org: SandboxProcess, item: str, wh: list[str]) -> None:
    rid = org.mutate("invoices", "create", fields={"line_items": [line(item, wh, 2, quantity=4)]})
    rec = next(r for r in org.records("invoices") if r["invoice_id"] == rid["records"][0]["id"])
    (x,) = rec["line_items"]
    assert (x["item_id"], x["quantity"], x["warehouse_id"]) == (item, 4.0, wh[2])
    assert x["warehouse_name"] == "Erbil Warehouse" and x["item_total"] == 4 * x["rate"]
    assert rec["total"] == rec["sub_total"] == x["item_total"] and rec["balance"] == rec["total"]


BAD: list[tuple[str, Any, int]] = [
    ("invoices", lambda i, w: {"line_items": [{"item_id": "1", "quantity": 1}]}, 404),
    ("invoices", lambda i, w: {"line_items": [{"item_id": i, "quantity": 1.5}]}, 400),
    ("bills", lambda i, w: {"line_items": [{"item_id": i, "quantity": 1, "warehouse_id": "9"}]},
     400),
    ("salesorders", lambda i, w: {"status": "shipped"}, 400),
    ("inventoryadjustments", lambda i, w: {"adjustment_type": "weight"}, 400),
    ("transferorders", lambda i, w: {"from_warehouse_id": w[0], "to_warehouse_id": w[0]}, 400),
    ("transferorders", lambda i, w: {"date": "2026-13-01"}, 400),
    ("transferorders", lambda i, w: {"line_items": "x"}, 400),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "fields", "status"), BAD)
def test_bad_document_fields_change_nothing(
    org: SandboxProcess, zoho: Zoho, item: str, wh: list[str], entity: str, fields: Any,
    status: int,
) -> None:  # fmt: skip
    count = len(org.records(entity))
    body = {"entity": entity, "action": "create", "fields": fields(item, wh)}
    resp = org._client.post("/_sandbox/mutate", json=body)
    assert resp.status_code == status, resp.text
    assert len(org.records(entity)) == count
