"""Paging, sorting, filters and counts, checked against the sandbox's own records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import Zoho


def _epoch(ts: str) -> float:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def test_paging_covers_everything_once(zoho: Zoho, truth: dict) -> None:
    seen: list[str] = []
    contexts = []
    for page in range(1, 7):
        body = zoho.ok("/books/v3/invoices", page=page, per_page=100)
        contexts.append(body["page_context"])
        seen += [r["invoice_id"] for r in body["invoices"]]
        if not body["page_context"]["has_more_page"]:
            break
    assert [c["has_more_page"] for c in contexts] == [True, True, True, True, False]
    assert [c["page"] for c in contexts] == [1, 2, 3, 4, 5]
    assert len(seen) == len(set(seen)) == 450
    assert set(seen) == {r["invoice_id"] for r in truth["invoices"]}
    beyond = zoho.ok("/books/v3/invoices", page=9, per_page=100)
    assert beyond["invoices"] == [] and beyond["page_context"]["has_more_page"] is False


def test_default_page_size_is_200_and_context(zoho: Zoho) -> None:
    body = zoho.ok("/books/v3/invoices")
    ctx = body["page_context"]
    assert len(body["invoices"]) == 200 and ctx["per_page"] == 200
    assert (ctx["report_name"], ctx["applied_filter"]) == ("Invoices", "Status.All")
    assert (ctx["sort_column"], ctx["sort_order"]) == ("created_time", "D")
    times = [_epoch(r["created_time"]) for r in body["invoices"]]
    assert times == sorted(times, reverse=True)


def test_items_default_sort_by_name(zoho: Zoho) -> None:
    body = zoho.ok("/books/v3/items")
    names = [r["name"].lower() for r in body["items"]]
    assert names == sorted(names)
    assert body["page_context"]["sort_column"] == "name"
    desc = zoho.ok("/books/v3/items", sort_order="D")["items"]
    assert [r["name"].lower() for r in desc] == sorted(names, reverse=True)


@pytest.mark.parametrize(
    ("entity", "column", "id_key"),
    [
        ("invoices", "date", "invoice_id"),
        ("contacts", "last_modified_time", "contact_id"),
        ("items", "last_modified_time", "item_id"),
        ("salesorders", "last_modified_time", "salesorder_id"),
        ("bills", "created_time", "bill_id"),
    ],
)
def test_sort_columns(zoho: Zoho, entity: str, column: str, id_key: str) -> None:
    params = {"sort_column": column, "sort_order": "A"}
    if entity == "contacts":
        params["filter_by"] = "Status.All"
    rows = zoho.list_all(f"/books/v3/{entity}", entity, per_page=7, **params)
    values = [r[column] for r in rows]
    assert values == sorted(values)
    ids = [r[id_key] for r in rows]
    assert len(ids) == len(set(ids))  # paging by a non-unique key is still stable


def test_last_modified_time_filter_is_inclusive(zoho: Zoho, truth: dict) -> None:
    stamps = sorted(r["last_modified_time"] for r in truth["invoices"])
    cutoff = stamps[len(stamps) // 2]
    expected = {r["invoice_id"] for r in truth["invoices"] if r["last_modified_time"] >= cutoff}
    got = zoho.list_all("/books/v3/invoices", "invoices", last_modified_time=cutoff)
    assert {r["invoice_id"] for r in got} == expected
    assert any(r["last_modified_time"] == cutoff for r in got)
    # the same instant written in another offset selects the same records
    moment = datetime.strptime(cutoff, "%Y-%m-%dT%H:%M:%S%z")
    pacific = moment.astimezone(timezone(timedelta(hours=-8))).strftime("%Y-%m-%dT%H:%M:%S%z")
    again = zoho.list_all("/books/v3/invoices", "invoices", last_modified_time=pacific)
    assert {r["invoice_id"] for r in again} == expected


@pytest.mark.parametrize("entity", ["items", "contacts", "creditnotes", "bills"])
def test_last_modified_time_filter_on_other_entities(zoho: Zoho, truth: dict, entity: str) -> None:
    stamps = sorted(r["last_modified_time"] for r in truth[entity])
    cutoff = stamps[len(stamps) * 2 // 3]
    key = {
        "items": "item_id",
        "contacts": "contact_id",
        "creditnotes": "creditnote_id",
        "bills": "bill_id",
    }[entity]
    records = truth[entity]
    if entity == "items":
        records = [r for r in records if r["source"] == "books" and r["status"] == "active"]
    expected = {r[key] for r in records if r["last_modified_time"] >= cutoff}
    got = zoho.list_all(f"/books/v3/{entity}", entity, last_modified_time=cutoff, per_page=9)
    assert {r[key] for r in got} == expected and expected


def test_date_range_is_inclusive(zoho: Zoho, truth: dict) -> None:
    dates = sorted({r["date"] for r in truth["invoices"]})
    start, end = dates[10], dates[60]
    expected = {r["invoice_id"] for r in truth["invoices"] if start <= r["date"] <= end}
    got = zoho.list_all("/books/v3/invoices", "invoices", date_start=start, date_end=end)
    assert {r["invoice_id"] for r in got} == expected
    assert {r["date"] for r in got} >= {start, end}


def test_combined_filters_and_sort(zoho: Zoho, truth: dict) -> None:
    stamps = sorted(r["last_modified_time"] for r in truth["invoices"])
    cutoff = stamps[len(stamps) // 4]
    params: dict[str, Any] = {
        "last_modified_time": cutoff,
        "date_start": "2025-03-01",
        "date_end": "2026-03-31",
        "filter_by": "Status.Paid",
        "sort_column": "date",
        "sort_order": "D",
    }
    expected = sorted(
        (
            r
            for r in truth["invoices"]
            if r["last_modified_time"] >= cutoff
            and "2025-03-01" <= r["date"] <= "2026-03-31"
            and r["status"] == "paid"
        ),
        key=lambda r: (r["date"], r["invoice_id"]),
        reverse=True,
    )
    got = zoho.list_all("/books/v3/invoices", "invoices", per_page=13, **params)
    assert [r["invoice_id"] for r in got] == [r["invoice_id"] for r in expected]
    assert len(expected) > 13
    count = zoho.ok("/books/v3/invoices", response_option=2, **params)
    assert count["page_context"]["total"] == len(expected)


def test_filter_by_on_items_and_contacts(zoho: Zoho, truth: dict) -> None:
    books_items = [r for r in truth["items"] if r["source"] == "books"]
    active = {r["item_id"] for r in books_items if r["status"] == "active"}
    inactive = {r["item_id"] for r in books_items if r["status"] == "inactive"}
    assert inactive, "the data set should have inactive items"
    listed = {r["item_id"] for r in zoho.list_all("/books/v3/items", "items")}
    assert listed == active
    all_items = zoho.list_all("/books/v3/items", "items", filter_by="Status.All")
    assert {r["item_id"] for r in all_items} == active | inactive
    only_inactive = zoho.list_all("/books/v3/items", "items", filter_by="Status.Inactive")
    assert {r["item_id"] for r in only_inactive} == inactive
    contacts = zoho.list_all("/books/v3/contacts", "contacts")
    assert len(contacts) == len(truth["contacts"]) == 25
    active_contacts = zoho.list_all("/books/v3/contacts", "contacts", filter_by="Status.Active")
    assert {c["status"] for c in active_contacts} == {"active"}
    assert len(active_contacts) == sum(c["status"] == "active" for c in truth["contacts"])
    assert {c["contact_type"] for c in contacts} == {"customer", "vendor"}


@pytest.mark.parametrize(
    ("entity", "params", "expected"),
    [
        ("invoices", {}, 450),
        ("items", {"filter_by": "Status.All"}, 60),
        ("contacts", {}, 25),
        ("pricebooks", {}, 2),
    ],
)
def test_response_option_2_counts(
    zoho: Zoho, entity: str, params: dict[str, Any], expected: int
) -> None:
    body = zoho.ok(f"/books/v3/{entity}", response_option=2, **params)
    assert entity not in body
    assert body["page_context"]["total"] == expected


def test_inventory_list_filters_and_count(zoho: Zoho, truth: dict) -> None:
    stamps = sorted(r["last_modified_time"] for r in truth["items"])
    cutoff = stamps[len(stamps) // 2]
    expected = {
        int(r["item_id"])
        for r in truth["items"]
        if r["last_modified_time"] >= cutoff and r["status"] == "active"
    }
    got = zoho.list_all("/inventory/v1/items", "items", last_modified_time=cutoff, per_page=10)
    assert {r["item_id"] for r in got} == expected
    count = zoho.ok("/inventory/v1/items", response_option=2, filter_by="Status.All")
    assert count["page_context"]["total"] == 64
