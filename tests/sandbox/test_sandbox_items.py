"""Items across Books and Inventory: itemdetails, Inventory-only items, warehouses, price
books, exact big ids and the data quirks a client must survive."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.sandbox_helpers import Zoho, assert_zoho_error

STOCK_FIELDS = (
    "stock_on_hand",
    "available_stock",
    "actual_available_stock",
    "committed_stock",
    "actual_committed_stock",
    "available_for_sale_stock",
    "actual_available_for_sale_stock",
)


def _books_items(truth: dict) -> list[dict]:
    return [r for r in truth["items"] if r["source"] == "books"]


def test_itemdetails_returns_full_records(zoho: Zoho, truth: dict) -> None:
    ids = [r["item_id"] for r in _books_items(truth)[:3]]
    body = zoho.ok("/books/v3/itemdetails", item_ids=",".join(ids))
    assert [r["item_id"] for r in body["items"]] == ids
    for rec in body["items"]:
        assert rec == zoho.ok(f"/books/v3/items/{rec['item_id']}")["item"]
        assert "custom_fields" in rec


def test_itemdetails_caps_at_100_ids(zoho: Zoho, truth: dict) -> None:
    ids = [r["item_id"] for r in _books_items(truth)]
    hundred = (ids * 2)[:100]
    assert zoho.get("/books/v3/itemdetails", item_ids=",".join(hundred)).status_code == 200
    resp = zoho.get("/books/v3/itemdetails", item_ids=",".join((ids * 2)[:101]))
    assert_zoho_error(resp, 400, 2, "Invalid value passed for item_ids")


def test_inventory_only_items(zoho: Zoho, truth: dict) -> None:
    inv_only = [r["item_id"] for r in truth["items"] if r["source"] == "inventory"]
    assert len(inv_only) == 4
    books = {
        r["item_id"] for r in zoho.list_all("/books/v3/items", "items", filter_by="Status.All")
    }
    inventory = {
        str(r["item_id"])
        for r in zoho.list_all("/inventory/v1/items", "items", filter_by="Status.All")
    }
    assert not books & set(inv_only)
    assert set(inv_only) <= inventory and books <= inventory
    for rid in inv_only:
        assert_zoho_error(zoho.get(f"/books/v3/items/{rid}"), 404, 1002, "Item does not exist.")
        assert zoho.ok(f"/inventory/v1/items/{rid}")["item"]["item_id"] == int(rid)
    details = zoho.ok("/books/v3/itemdetails", item_ids=",".join(inv_only))
    assert details["items"] == []


def test_inventory_list_has_stock_fields_without_warehouses(zoho: Zoho) -> None:
    items = zoho.ok("/inventory/v1/items", per_page=10)["items"]
    for item in items:
        assert all(isinstance(item[f], int) for f in STOCK_FIELDS)
        assert "warehouses" not in item


def test_warehouses(zoho: Zoho) -> None:
    warehouses = zoho.ok("/inventory/v1/settings/warehouses")["warehouses"]
    assert [w["city"] for w in warehouses] == ["Baghdad", "Basra", "Erbil"]
    assert [w["is_primary"] for w in warehouses] == [True, False, False]
    assert all(w["status"] == "active" and isinstance(w["warehouse_id"], int) for w in warehouses)


def test_item_warehouse_stock_sums_to_totals(zoho: Zoho) -> None:
    known = {w["warehouse_id"] for w in zoho.ok("/inventory/v1/settings/warehouses")["warehouses"]}
    for summary in zoho.ok("/inventory/v1/items", per_page=15)["items"]:
        item = zoho.ok(f"/inventory/v1/items/{summary['item_id']}")["item"]
        assert {w["warehouse_id"] for w in item["warehouses"]} == known
        for field in STOCK_FIELDS:
            assert sum(w[f"warehouse_{field}"] for w in item["warehouses"]) == item[field]
            assert item[field] == summary[field]
        assert sum(w["is_primary"] for w in item["warehouses"]) == 1


def test_ids_above_2_53_survive_exactly(zoho: Zoho, truth: dict) -> None:
    books_id = _books_items(truth)[0]["item_id"]
    assert int(books_id) > 2**53
    assert float(int(books_id)) != int(books_id)  # a float would corrupt it
    resp = zoho.get(f"/inventory/v1/items/{books_id}")
    assert f'"item_id":{books_id},' in resp.text  # a JSON number, digit for digit
    assert json.loads(resp.text)["item"]["item_id"] == int(books_id)
    books = zoho.get(f"/books/v3/items/{books_id}")
    assert f'"item_id":"{books_id}"' in books.text  # Books: a string


def test_pricebooks(zoho: Zoho, truth: dict) -> None:
    books = {b["name"]: b for b in zoho.ok("/books/v3/pricebooks")["pricebooks"]}
    assert set(books) == {"Consumer", "Wholesale"}
    assert books["Consumer"]["currency_code"] == "IQD"
    assert books["Wholesale"]["currency_code"] == "USD"
    assert all(
        b["pricebook_type"] == "per_item" and "pricebook_items" not in b for b in books.values()
    )
    resp = zoho.get(f"/books/v3/pricebooks/{books['Consumer']['pricebook_id']}")
    consumer = resp.json()["pricebook"]
    lines = consumer["pricebook_items"]
    active = {int(r["item_id"]) for r in _books_items(truth) if r["status"] == "active"}
    priced = {li["item_id"] for li in lines}
    assert priced < active and len(priced) > len(active) * 0.7  # most, not all
    assert any(li["pricebook_rate"] == 0 for li in lines)
    assert all(
        isinstance(li["pricebook_item_id"], int) and li["pricebook_item_id"] > 2**53 for li in lines
    )
    assert f'"item_id":{lines[0]["item_id"]},' in resp.text
    assert {"name", "sku"} <= set(lines[0])


def test_customers_reference_price_books(truth: dict) -> None:
    book_ids = {b["pricebook_id"] for b in truth["pricebooks"]}
    with_book = [c for c in truth["contacts"] if c["pricebook_id"]]
    assert with_book and {c["pricebook_id"] for c in with_book} <= book_ids
    assert all(c["contact_type"] == "customer" for c in with_book)


def test_item_fields_and_quirks(truth: dict) -> None:
    items = _books_items(truth)
    skus = [r["sku"] for r in items]
    assert skus[0] == "TSH-00001" and len(set(skus)) == len(skus)
    assert any(r["purchase_rate"] == "" for r in items)  # empty string for a number
    for rec in items:
        url = rec["custom_field_hash"]["cf_image_url"]
        assert [cf["value"] for cf in rec["custom_fields"] if cf["api_name"] == "cf_image_url"] == [
            url
        ]
        if url:
            assert rec["image_name"] and rec["image_document_id"].isdigit()
        assert rec["unit"] and isinstance(rec["rate"], float)


def test_line_item_quirks(truth: dict) -> None:
    lines = [li for doc in truth["invoices"] for li in doc["line_items"]]
    assert any(li["tax_percentage"] == "5%" for li in lines)
    assert any(li["discount"] == "" for li in lines)
    assert any(
        isinstance(li["tax_percentage"], float) and li["tax_percentage"] == 5 for li in lines
    )


@pytest.mark.parametrize("entity", ["invoices", "creditnotes", "salesorders"])
def test_documents_reference_customers_bills_vendors(truth: dict, entity: str) -> None:
    kinds = {c["contact_id"]: c["contact_type"] for c in truth["contacts"]}
    assert {kinds[d["customer_id"]] for d in truth[entity]} == {"customer"}
    assert {kinds[b["vendor_id"]] for b in truth["bills"]} == {"vendor"}
