"""Envelopes, auth/org/not-found/parameter errors, list summaries vs detail records."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import ORG, Zoho, assert_rate_headers, assert_zoho_error

BOOKS = [
    ("items", "item", "item_id"),
    ("contacts", "contact", "contact_id"),
    ("invoices", "invoice", "invoice_id"),
    ("bills", "bill", "bill_id"),
    ("creditnotes", "creditnote", "creditnote_id"),
    ("salesorders", "salesorder", "salesorder_id"),
    ("pricebooks", "pricebook", "pricebook_id"),
]
DOCS = [b for b in BOOKS if b[0] in ("invoices", "bills", "creditnotes", "salesorders")]
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0300$")
PAGE_KEYS = {
    "page",
    "per_page",
    "has_more_page",
    "report_name",
    "applied_filter",
    "sort_column",
    "sort_order",
}


@pytest.mark.parametrize(("entity", "record_key", "id_key"), BOOKS)
def test_list_and_detail_envelopes(zoho: Zoho, entity: str, record_key: str, id_key: str) -> None:
    body = zoho.ok(f"/books/v3/{entity}", per_page=5)
    assert list(body)[:2] == ["code", "message"]
    assert set(body["page_context"]) >= PAGE_KEYS
    assert body["page_context"]["per_page"] == 5
    records = body[entity]
    assert 0 < len(records) <= 5
    rid = records[0][id_key]
    assert isinstance(rid, str) and rid.isdigit() and 18 <= len(rid) <= 19
    detail = zoho.ok(f"/books/v3/{entity}/{rid}")
    assert detail[record_key][id_key] == rid
    assert TS.match(detail[record_key]["last_modified_time"])


@pytest.mark.parametrize(("entity", "record_key", "id_key"), DOCS)
def test_lists_have_no_line_items_details_do(
    zoho: Zoho, truth: dict, entity: str, record_key: str, id_key: str
) -> None:
    summaries = zoho.ok(f"/books/v3/{entity}", per_page=20)[entity]
    assert all("line_items" not in s for s in summaries)
    live_items = {i["item_id"] for i in truth["items"] if i["source"] == "books"}
    for summary in summaries[:5]:
        doc = zoho.ok(f"/books/v3/{entity}/{summary[id_key]}")[record_key]
        assert doc["line_items"], doc
        for li in doc["line_items"]:
            assert {
                "line_item_id",
                "item_id",
                "name",
                "sku",
                "quantity",
                "rate",
                "discount",
                "tax_percentage",
                "item_total",
            } <= set(li)
            assert li["item_id"] in live_items
        assert doc["sub_total"] == pytest.approx(sum(li["item_total"] for li in doc["line_items"]))
        assert doc["total"] == pytest.approx(doc["sub_total"] + doc["tax_total"])
        assert summary["total"] == doc["total"]
        assert summary["last_modified_time"] == doc["last_modified_time"]


def test_document_balances_follow_status(truth: dict) -> None:
    for inv in truth["invoices"]:
        if inv["status"] in ("paid", "void"):
            assert inv["balance"] == 0
        elif inv["status"] == "partially_paid":
            assert 0 < inv["balance"] < inv["total"]
        else:
            assert inv["balance"] == inv["total"]
        assert "2025-01-01" <= inv["date"] <= "2026-06-30"
        assert inv["due_date"] >= inv["date"]


def test_missing_auth_header_is_code_14(zoho: Zoho) -> None:
    resp = zoho.http.get("/books/v3/items", params={"organization_id": ORG})
    assert_zoho_error(resp, 401, 14)
    assert_rate_headers(resp)


@pytest.mark.parametrize("token", ["1000.deadbeef.cafebabe", "garbage"])
def test_invalid_token_is_code_57(zoho: Zoho, token: str) -> None:
    resp = zoho.get("/books/v3/items", token=token)
    assert_zoho_error(resp, 401, 57, "You are not authorized to perform this operation")
    assert_rate_headers(resp)


@pytest.mark.parametrize("org", ["999", None])
def test_unknown_or_missing_org_is_6041(zoho: Zoho, org: str | None) -> None:
    resp = zoho.get("/books/v3/invoices", org=org)
    body = assert_zoho_error(resp, 400, 6041)
    assert body["message"] == (
        f"This user is not associated with the CompanyID/CompanyName:{org or ''}."
    )
    assert_rate_headers(resp)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/books/v3/invoices/5400103999999999999", "Invoice"),
        ("/books/v3/items/1", "Item"),
        ("/books/v3/contacts/77", "Contact"),
        ("/inventory/v1/items/5400101999999999999", "Item"),
    ],
)
def test_not_found_is_1002(zoho: Zoho, path: str, label: str) -> None:
    resp = zoho.get(path)
    assert_zoho_error(resp, 404, 1002, f"{label} does not exist.")
    assert_rate_headers(resp)


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("items", {"filter_by": "Status.Bogus"}, "filter_by"),
        ("contacts", {"filter_by": "Status.Paid"}, "filter_by"),
        ("invoices", {"sort_column": "colour"}, "sort_column"),
        ("invoices", {"sort_order": "X"}, "sort_order"),
        ("invoices", {"per_page": 201}, "per_page"),
        ("invoices", {"per_page": 0}, "per_page"),
        ("invoices", {"page": 0}, "page"),
        ("invoices", {"date_start": "2025-13-01"}, "date_start"),
        ("bills", {"date_end": "01/02/2025"}, "date_end"),
        ("items", {"last_modified_time": "2025-01-01"}, "last_modified_time"),
        ("invoices", {"last_modified_time": "2025-01-01T00:00:00+03:00"}, "last_modified_time"),
        ("itemdetails", {"item_ids": ""}, "item_ids"),
    ],
)
def test_bad_parameter_is_code_2(zoho: Zoho, path: str, params: dict[str, Any], param: str) -> None:
    resp = zoho.get(f"/books/v3/{path}", **params)
    assert_zoho_error(resp, 400, 2, f"Invalid value passed for {param}")
    assert_rate_headers(resp)


def test_unencoded_plus_in_timestamp_is_refused(zoho: Zoho) -> None:
    # a raw "+" decodes to a space server-side; Zoho would misread the time, we refuse it
    raw = (
        f"{zoho.url}/books/v3/invoices?organization_id={ORG}"
        "&last_modified_time=2025-06-01T00:00:00+0300"
    )
    resp = zoho.http.get(raw, headers={"Authorization": f"Zoho-oauthtoken {zoho.token}"})
    assert_zoho_error(resp, 400, 2, "Invalid value passed for last_modified_time")
    encoded = raw.replace("+0300", "%2B0300")
    assert (
        zoho.http.get(
            encoded, headers={"Authorization": f"Zoho-oauthtoken {zoho.token}"}
        ).status_code
        == 200
    )


def test_unknown_path_and_write_methods(zoho: Zoho) -> None:
    assert_zoho_error(zoho.get("/books/v3/journals"), 404, 5)
    auth = {"params": {"organization_id": ORG},
            "headers": {"Authorization": f"Zoho-oauthtoken {zoho.token}"}}  # fmt: skip
    # Writes are taken where Books takes them (zoho_sandbox/writes.py), checked first.
    assert_zoho_error(zoho.http.post("/books/v3/invoices", json={}, **auth), 400, 2)
    for method, path in (("POST", "/books/v3/bills"), ("DELETE", "/books/v3/invoices"),
                         ("POST", "/inventory/v1/salesorders")):  # fmt: skip
        resp = zoho.http.request(method, path, **auth)
        assert resp.status_code == 405 and resp.json()["code"] == 37


def test_success_carries_daily_counter_headers(zoho: Zoho) -> None:
    first = zoho.get("/books/v3/items", per_page=1)
    second = zoho.get("/books/v3/items", per_page=1)
    assert first.headers["X-Rate-Limit-Limit"] == "1000000"
    left = int(first.headers["X-Rate-Limit-Remaining"])
    assert int(second.headers["X-Rate-Limit-Remaining"]) == left - 1
    assert 0 < int(second.headers["X-Rate-Limit-Reset"]) <= 86_400


def test_timestamps_and_bare_dates(truth: dict) -> None:
    for entity in ("items", "contacts", "invoices", "bills"):
        for rec in truth[entity]:
            assert TS.match(rec["created_time"]) and TS.match(rec["last_modified_time"])
            assert rec["last_modified_time"] >= rec["created_time"]
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", b["due_date"]) for b in truth["bills"])
