"""Issue 24's modules on the shared read-only sandbox: envelopes and shapes, payments applied
to real invoices and bills with consistent balances, references into the settings tables,
contacts' owners, persons and addresses, listing machinery and 404s."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Zoho, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

# (control-API entity, Books path, list key, record key, id key, detail-only lines key)
MODULES = [
    ("customerpayments", "customerpayments", "customerpayments", "payment", "payment_id",
     "invoices"),
    ("vendorpayments", "vendorpayments", "vendorpayments", "vendorpayment", "payment_id", "bills"),
    ("purchaseorders", "purchaseorders", "purchaseorders", "purchaseorder", "purchaseorder_id",
     "line_items"),
    ("estimates", "estimates", "estimates", "estimate", "estimate_id", "line_items"),
    ("vendorcredits", "vendorcredits", "vendor_credits", "vendor_credit", "vendor_credit_id",
     "line_items"),
    ("expenses", "expenses", "expenses", "expense", "expense_id", ""),
    ("users", "users", "users", "user", "user_id", ""),
    ("taxes", "settings/taxes", "taxes", "tax", "tax_id", ""),
    ("currencies", "settings/currencies", "currencies", "currency", "currency_id", ""),
    ("chartofaccounts", "chartofaccounts", "chartofaccounts", "chart_of_account", "account_id",
     ""),
]  # fmt: skip
LISTED = {
    "customerpayments": {"payment_id", "payment_number", "date", "payment_mode", "amount",
                         "unused_amount", "customer_id", "customer_name", "reference_number",
                         "currency_code", "account_id", "account_name", "created_time",
                         "last_modified_time"},
    "vendorpayments": {"payment_id", "payment_number", "date", "payment_mode", "amount", "balance",
                       "vendor_id", "vendor_name", "reference_number", "currency_code",
                       "paid_through_account_id", "paid_through_account_name", "created_time",
                       "last_modified_time"},
    "expenses": {"expense_id", "date", "account_id", "account_name", "paid_through_account_id",
                 "paid_through_account_name", "vendor_id", "vendor_name", "customer_id",
                 "total", "currency_code", "reference_number", "description", "status",
                 "created_time", "last_modified_time"},
    "users": {"user_id", "name", "email", "user_role", "role_id", "status"},
    "taxes": {"tax_id", "tax_name", "tax_percentage", "tax_type", "is_default_tax",
              "is_editable"},
    "currencies": {"currency_id", "currency_code", "currency_name", "currency_symbol",
                   "price_precision", "currency_format", "is_base_currency", "exchange_rate"},
    "chartofaccounts": {"account_id", "account_name", "account_code", "account_type",
                        "is_active", "currency_code", "description", "parent_account_id",
                        "created_time", "last_modified_time"},
}  # fmt: skip
LINES = {
    "invoices": {"invoice_payment_id", "invoice_id", "invoice_number", "date", "invoice_amount",
                 "amount_applied", "balance_amount"},
    "bills": {"bill_payment_id", "bill_id", "bill_number", "date", "total", "balance",
              "amount_applied"},
}  # fmt: skip
SIZES = {"customerpayments": SMALL["customer_payments"], "vendorpayments": SMALL["vendor_payments"],
         "purchaseorders": SMALL["purchase_orders"], "estimates": SMALL["estimates"],
         "vendorcredits": SMALL["vendor_credits"], "expenses": SMALL["expenses"], "users": 9,
         "taxes": 4, "currencies": 3, "chartofaccounts": 22}  # fmt: skip


@pytest.fixture(scope="module")
def every(sandbox: SandboxProcess) -> dict[str, list[dict[str, Any]]]:
    names = [m[0] for m in MODULES] + ["invoices", "bills", "contacts", "items"]
    return {e: sandbox.records(e) for e in names}


@pytest.mark.parametrize(("entity", "path", "list_key", "record_key", "id_key", "lines"), MODULES)
def test_envelopes_and_shapes(
    zoho: Zoho, every: dict, entity: str, path: str, list_key: str, record_key: str,
    id_key: str, lines: str,
) -> None:  # fmt: skip
    listed = zoho.list_all(f"/books/v3/{path}", list_key, per_page=7)
    truth = {r[id_key]: r for r in every[entity]}
    assert len(listed) == len(truth) == SIZES[entity]
    assert {r[id_key] for r in listed} == set(truth)
    count = zoho.ok(f"/books/v3/{path}", response_option=2)
    assert list_key not in count and count["page_context"]["total"] == SIZES[entity]
    first = listed[0]
    assert isinstance(first[id_key], str) and 15 <= len(first[id_key]) <= 19
    if entity in LISTED:
        assert LISTED[entity] <= set(first)
    if lines:
        assert lines not in first
    detail = zoho.ok(f"/books/v3/{path}/{first[id_key]}")[record_key]
    assert detail == truth[first[id_key]]
    assert {k: v for k, v in detail.items() if k in first} == first
    if lines in LINES:
        assert all(set(x) == LINES[lines] for x in detail[lines])


@pytest.mark.parametrize(
    ("path", "label"),
    [("customerpayments", "Customer Payment"), ("vendorpayments", "Vendor Payment"),
     ("purchaseorders", "Purchase Order"), ("estimates", "Estimate"),
     ("vendorcredits", "Vendor Credit"), ("expenses", "Expense"), ("users", "User"),
     ("settings/taxes", "Tax"), ("settings/currencies", "Currency"),
     ("chartofaccounts", "Account")],
)  # fmt: skip
def test_unknown_ids_are_1002(zoho: Zoho, path: str, label: str) -> None:
    assert_zoho_error(
        zoho.get(f"/books/v3/{path}/5400199000000000001"), 404, 1002, f"{label} does not exist."
    )


@pytest.mark.parametrize(
    ("payments", "docs", "doc_id", "party", "unused", "waiting"),
    [("customerpayments", "invoices", "invoice_id", "customer", "unused_amount", "sent"),
     ("vendorpayments", "bills", "bill_id", "vendor", "balance", "open")],
)  # fmt: skip
def test_payments_agree_with_their_documents(
    every: dict, payments: str, docs: str, doc_id: str, party: str, unused: str, waiting: str
) -> None:
    documents = {d[doc_id]: d for d in every[docs]}
    applied: dict[str, float] = defaultdict(float)
    for pay in every[payments]:
        lines = pay[docs]
        assert pay["amount"] == pytest.approx(sum(x["amount_applied"] for x in lines) + pay[unused])
        for line in lines:
            doc = documents[line[doc_id]]  # a real document of the same party and currency
            assert doc[f"{party}_id"] == pay[f"{party}_id"]
            assert doc["currency_code"] == pay["currency_code"]
            assert line["amount_applied"] > 0 and pay["date"] >= doc["date"]
            applied[line[doc_id]] += line["amount_applied"]
    assert len(applied) > len(every[payments])  # payments cover several documents
    statuses = set()
    for doc in documents.values():
        paid = round(applied.get(doc[doc_id], 0.0), 2)
        statuses.add(doc["status"])
        if doc["status"] in ("draft", "void"):
            assert paid == 0
            continue
        assert doc["balance"] == pytest.approx(doc["total"] - paid, abs=0.005)
        if paid == 0:
            assert doc["status"] in (waiting, "overdue")
        else:
            assert doc["status"] == ("paid" if doc["balance"] == 0 else "partially_paid")
    assert {"paid", "partially_paid", "overdue"} <= statuses


def test_references_point_at_the_settings(every: dict) -> None:
    accounts = {a["account_id"]: a for a in every["chartofaccounts"]}
    users = {u["user_id"] for u in every["users"]}
    currencies = {c["currency_code"]: c for c in every["currencies"]}
    assert [c["currency_code"] for c in currencies.values() if c["is_base_currency"]] == ["IQD"]
    for contact in every["contacts"]:
        assert contact["owner_id"] in users and contact["owner_name"]
        assert currencies[contact["currency_code"]]["currency_id"] == contact["currency_id"]
    for item in every["items"]:
        assert item["account_id"] in accounts and item["purchase_account_id"] in accounts
    for exp in every["expenses"]:
        assert accounts[exp["account_id"]]["account_type"] == "expense"
        assert accounts[exp["paid_through_account_id"]]["account_type"] in ("cash", "bank")
    for pay in every["customerpayments"]:
        assert accounts[pay["account_id"]]["account_type"] in ("cash", "bank")
    for pay in every["vendorpayments"]:
        assert accounts[pay["paid_through_account_id"]]["account_type"] in ("cash", "bank")
    parents = {a["parent_account_id"] for a in accounts.values()} - {""}
    assert parents and parents <= set(accounts)
    taxes = {t["tax_id"] for t in every["taxes"]}
    lines = [x for d in every["invoices"] for x in d["line_items"] if x["tax_id"]]
    assert lines and all(x["tax_id"] in taxes for x in lines)


def test_contacts_carry_persons_and_addresses(zoho: Zoho, every: dict) -> None:
    address_ids: list[str] = []
    for contact in every["contacts"]:
        persons = contact["contact_persons"]
        assert [p["is_primary_contact"] for p in persons].count(True) == 1
        for p in persons:
            assert {"contact_person_id", "first_name", "last_name", "email", "phone",
                    "mobile"} <= set(p)  # fmt: skip
        for key in ("billing_address", "shipping_address"):
            address = contact[key]
            assert {"address_id", "attention", "address", "street2", "city", "state", "zip",
                    "country", "phone"} <= set(address)  # fmt: skip
            address_ids.append(address["address_id"])
    assert len(address_ids) == len(set(address_ids))  # every address has its own id
    assert any(len(c["contact_persons"]) > 1 for c in every["contacts"])
    listed = zoho.ok("/books/v3/contacts")["contacts"][0]
    assert listed["owner_id"] and "contact_persons" not in listed


def test_contact_type_filter(zoho: Zoho, every: dict) -> None:
    vendors = zoho.list_all("/books/v3/contacts", "contacts", contact_type="vendor")
    assert {c["contact_type"] for c in vendors} == {"vendor"}
    assert len(vendors) == SMALL["vendors"]
    count = zoho.ok("/books/v3/contacts", contact_type="customer", response_option=2)
    assert count["page_context"]["total"] == SMALL["customers"]
    assert_zoho_error(zoho.get("/books/v3/contacts", contact_type="both"), 400, 2)


def test_listing_machinery_on_payments(zoho: Zoho, every: dict) -> None:
    truth = every["customerpayments"]
    by_date = zoho.list_all("/books/v3/customerpayments", "customerpayments",
                            sort_column="date", sort_order="A", per_page=9)  # fmt: skip
    assert [p["date"] for p in by_date] == sorted(p["date"] for p in truth)
    cash = zoho.list_all("/books/v3/customerpayments", "customerpayments",
                         filter_by="PaymentMode.Cash")  # fmt: skip
    assert {p["payment_id"] for p in cash} == {
        p["payment_id"] for p in truth if p["payment_mode"] == "cash"
    }
    cut = sorted(p["last_modified_time"] for p in truth)[len(truth) // 2]
    recent = zoho.list_all("/books/v3/customerpayments", "customerpayments",
                           last_modified_time=cut)  # fmt: skip
    assert {p["payment_id"] for p in recent} == {
        p["payment_id"] for p in truth if p["last_modified_time"] >= cut
    }
    window = zoho.list_all("/books/v3/expenses", "expenses", date_start="2025-06-01",
                           date_end="2025-12-31")  # fmt: skip
    assert {e["expense_id"] for e in window} == {
        e["expense_id"] for e in every["expenses"] if "2025-06-01" <= e["date"] <= "2025-12-31"
    }
    assert_zoho_error(zoho.get("/books/v3/customerpayments", filter_by="Status.Paid"), 400, 2)


def test_settings_carry_no_timestamps_and_list_whole(zoho: Zoho, every: dict) -> None:
    for entity, path, key in (("users", "users", "users"), ("taxes", "settings/taxes", "taxes"),
                              ("currencies", "settings/currencies", "currencies")):  # fmt: skip
        assert all("last_modified_time" not in r for r in every[entity])
        # the filter means nothing there: the whole listing comes back
        listed = zoho.ok(f"/books/v3/{path}", last_modified_time="2030-01-01T00:00:00+0300")
        assert len(listed[key]) == len(every[entity])
