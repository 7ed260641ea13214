"""Inventory adjustments and transfer orders: the contract of their list and detail endpoints,
over HTTP on the shared read-only sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import Zoho, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

ADJ_SUMMARY = {"inventory_adjustment_id", "date", "reason", "reason_id", "adjustment_type",
               "status", "reference_number", "description", "total", "created_time",
               "last_modified_time"}  # fmt: skip
ADJ_LINE = {"line_item_id", "item_id", "name", "sku", "quantity_adjusted", "value_adjusted",
            "warehouse_id", "warehouse_name", "unit"}  # fmt: skip
TO_SUMMARY = {"transfer_order_id", "transfer_order_number", "date", "status",
              "from_warehouse_id", "from_warehouse_name", "to_warehouse_id",
              "to_warehouse_name", "created_time", "last_modified_time"}  # fmt: skip
TO_LINE = {"line_item_id", "item_id", "name", "sku", "quantity_transfer", "unit"}
# (path, list key, record key, summary fields, line fields, statuses, seeded count)
KINDS = [
    ("inventoryadjustments", "inventory_adjustments", "inventory_adjustment", ADJ_SUMMARY,
     ADJ_LINE, {"adjusted", "draft"}, 30),
    ("transferorders", "transfer_orders", "transfer_order", TO_SUMMARY, TO_LINE,
     {"draft", "in_transit", "transferred"}, 15),
]  # fmt: skip


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize(("path", "key", "record_key", "summary", "line", "statuses", "n"), KINDS)
def test_list_and_detail_follow_the_contract(
    zoho: Zoho, sandbox: SandboxProcess, path: str, key: str, record_key: str,
    summary: set[str], line: set[str], statuses: set[str], n: int,
) -> None:  # fmt: skip
    listed = zoho.list_all(f"/inventory/v1/{path}", key, per_page=7)
    assert len(listed) == n == len({r[f"{record_key}_id"] for r in listed})
    assert all(set(r) == summary for r in listed)  # no line_items in the listing
    assert {r["status"] for r in listed} <= statuses
    assert all(len(r["date"]) == 10 and r["last_modified_time"][-5] in "+-" for r in listed)
    warehouses = {
        w["warehouse_id"]: w["warehouse_name"]
        for w in zoho.ok("/inventory/v1/settings/warehouses")["warehouses"]
    }
    items = {str(i["item_id"]) for i in sandbox.records("items")}
    records = {r[f"{record_key}_id"]: r for r in sandbox.records(path)}
    for rec in listed[:10]:
        rid = rec[f"{record_key}_id"]
        assert isinstance(rid, int)  # Inventory sends ids as JSON numbers
        detail = zoho.ok(f"/inventory/v1/{path}/{rid}")[record_key]
        assert set(detail) == summary | {"line_items"}
        assert {k: detail[k] for k in summary} == rec
        assert detail["line_items"] and all(set(x) == line for x in detail["line_items"])
        assert all(str(x["item_id"]) in items for x in detail["line_items"])
        for x in detail["line_items"]:
            qty = x.get("quantity_adjusted", x.get("quantity_transfer"))
            assert _number(qty) and qty == int(qty)
            if "warehouse_id" in x:
                assert warehouses[x["warehouse_id"]] == x["warehouse_name"]
        if path == "transferorders":
            assert detail["from_warehouse_id"] != detail["to_warehouse_id"]
            assert warehouses[detail["to_warehouse_id"]] == detail["to_warehouse_name"]
        else:
            assert _number(detail["total"]) and detail["adjustment_type"] in ("quantity", "value")
            kind = detail["adjustment_type"]
            moved = [x["value_adjusted" if kind == "value" else "quantity_adjusted"]
                     for x in detail["line_items"]]  # fmt: skip
            assert all(moved)
        # the control API's record is the same detail, ids as text
        assert records[str(rid)]["line_items"][0]["item_id"] == str(
            detail["line_items"][0]["item_id"]
        )


@pytest.mark.parametrize(("path", "key", "record_key"), [k[:3] for k in KINDS])
def test_filters_sorting_and_paging(zoho: Zoho, path: str, key: str, record_key: str) -> None:
    every = zoho.list_all(f"/inventory/v1/{path}", key)
    first = zoho.ok(f"/inventory/v1/{path}", per_page=5)
    assert len(first[key]) == 5 and first["page_context"]["has_more_page"] is True
    assert first["page_context"]["sort_column"] == "created_time"
    assert [r["created_time"] for r in every] == sorted(
        (r["created_time"] for r in every), reverse=True
    )  # newest first by default (one zone: the text sorts as the instants)
    by_date = zoho.list_all(f"/inventory/v1/{path}", key, sort_column="date", sort_order="A")
    assert [r["date"] for r in by_date] == sorted(r["date"] for r in every)
    dates = sorted(r["date"] for r in every)
    lo, hi = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    window = zoho.list_all(f"/inventory/v1/{path}", key, date_start=lo, date_end=hi)
    assert {r[f"{record_key}_id"] for r in window} == {
        r[f"{record_key}_id"] for r in every if lo <= r["date"] <= hi
    }
    cut = sorted(r["last_modified_time"] for r in every)[len(every) // 2]
    recent = zoho.list_all(f"/inventory/v1/{path}", key, last_modified_time=cut)
    assert {r[f"{record_key}_id"] for r in recent} == {
        r[f"{record_key}_id"] for r in every if r["last_modified_time"] >= cut
    }
    assert_zoho_error(zoho.get(f"/inventory/v1/{path}", sort_column="rate"), 400, 2)


@pytest.mark.parametrize(
    ("path", "label"),
    [("inventoryadjustments", "Inventory Adjustment"), ("transferorders", "Transfer Order")],
)
def test_unknown_ids_and_books_paths(
    zoho: Zoho, sandbox: SandboxProcess, path: str, label: str
) -> None:
    assert_zoho_error(zoho.get(f"/inventory/v1/{path}/123"), 404, 1002, f"{label} does not exist.")
    assert_zoho_error(zoho.get(f"/books/v3/{path}"), 404, 5)  # Inventory only
    counted = sandbox.stats()["calls"]["inventory"]
    assert counted[f"{path}/{{id}}"]["404"] >= 1  # counted like any call
