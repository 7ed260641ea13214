"""What each Zoho entity looks like from the outside: keys, labels, sorting and filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .store import Pred, Row

ACTIVE_FILTERS: dict[str, Pred | None] = {
    "Status.All": None,
    "Status.Active": lambda r: r.status == "active",
    "Status.Inactive": lambda r: r.status == "inactive",
}


def _status_filters(*statuses: str) -> dict[str, Pred | None]:
    """Document filters: Status.All plus one per status (Status.PartiallyPaid for
    partially_paid), matching Zoho's filter_by naming."""
    out: dict[str, Pred | None] = {"Status.All": None}
    for status in statuses:
        label = "".join(part.capitalize() for part in status.split("_"))
        out[f"Status.{label}"] = _equals(status)
    return out


def _equals(status: str) -> Pred:
    return lambda r: r.status == status


_TIME_SORTS = {"created_time": "created", "last_modified_time": "lmt"}
PAYMENT_MODES = ("cash", "bank transfer", "check", "credit card")


@dataclass(frozen=True)
class EntitySpec:
    name: str  # list key and URL segment
    record_key: str
    label: str  # used in "<label> does not exist."
    report_name: str
    sort_columns: dict[str, str]  # query value -> Row attribute
    default_sort: tuple[str, str]
    filters: dict[str, Pred | None]
    default_filter: str
    document: bool = False
    number_key: str = ""
    party: str = ""  # customer | vendor, for documents
    statuses: tuple[str, ...] = field(default=())
    list_key: str = ""  # the listing's key when it is not the URL segment
    id_key: str = ""  # the id field when it is not `<record_key>_id`
    path: str = ""  # the URL path when it is not `name` (settings/taxes)
    # "yes": last_modified_time filters; "unconfirmed": switch payments_modified_filter
    # decides; "": the records carry none and the listing cannot be filtered (full each time)
    lmt_filter: str = "yes"

    @property
    def list_name(self) -> str:
        return self.list_key or self.name

    @property
    def id_field(self) -> str:
        return self.id_key or f"{self.record_key}_id"

    @property
    def url(self) -> str:
        return self.path or self.name


def _doc(
    name: str,
    record_key: str,
    label: str,
    report: str,
    number_key: str,
    party: str,
    statuses: tuple[str, ...],
    list_key: str = "",
    **extra: Any,
) -> EntitySpec:
    return EntitySpec(
        name=name,
        record_key=record_key,
        label=label,
        report_name=report,
        sort_columns={number_key: "name", "date": "date", **_TIME_SORTS},
        default_sort=("created_time", "D"),
        filters=_status_filters(*statuses),
        default_filter="Status.All",
        document=True,
        number_key=number_key,
        party=party,
        statuses=statuses,
        list_key=list_key,
        **extra,
    )


def _setting(
    name: str, record_key: str, label: str, report: str, sort: str, **extra: Any
) -> EntitySpec:
    """A small settings listing, sorted by its name column; no timestamps unless `extra`
    says otherwise."""
    filters = extra.pop("filters", {"Status.All": None})
    lmt_filter = extra.pop("lmt_filter", "")
    return EntitySpec(name, record_key, label, report, {sort: "name"}, (sort, "A"), filters,
                      next(iter(filters)), lmt_filter=lmt_filter, **extra)  # fmt: skip


def _payments(name: str, record_key: str, label: str, report: str, list_key: str) -> EntitySpec:
    """Customer and vendor payments: filter_by on the payment mode (Row.status holds it)."""
    filters: dict[str, Pred | None] = {"PaymentMode.All": None}
    for mode in PAYMENT_MODES:
        filters["PaymentMode." + "".join(p.capitalize() for p in mode.split())] = _equals(mode)
    return EntitySpec(name, record_key, label, report,
                      {"payment_number": "name", "date": "date", **_TIME_SORTS},
                      ("created_time", "D"), filters, "PaymentMode.All", document=True,
                      number_key="payment_number", list_key=list_key, id_key="payment_id",
                      lmt_filter="unconfirmed")  # fmt: skip


SPECS: dict[str, EntitySpec] = {
    "items": EntitySpec(
        "items",
        "item",
        "Item",
        "Items",
        {"name": "name", **_TIME_SORTS},
        ("name", "A"),
        ACTIVE_FILTERS,
        "Status.Active",
    ),
    "contacts": EntitySpec(
        "contacts",
        "contact",
        "Contact",
        "Contacts",
        {"contact_name": "name", "name": "name", **_TIME_SORTS},
        ("contact_name", "A"),
        ACTIVE_FILTERS,
        "Status.All",
    ),
    "invoices": _doc(
        "invoices",
        "invoice",
        "Invoice",
        "Invoices",
        "invoice_number",
        "customer",
        ("draft", "sent", "overdue", "paid", "partially_paid", "void"),
    ),
    "bills": _doc(
        "bills",
        "bill",
        "Bill",
        "Bills",
        "bill_number",
        "vendor",
        ("draft", "open", "overdue", "paid", "partially_paid", "void"),
    ),
    "creditnotes": _doc(
        "creditnotes",
        "creditnote",
        "Credit Note",
        "Credit Notes",
        "creditnote_number",
        "customer",
        ("draft", "open", "closed", "void"),
    ),
    "salesorders": _doc(
        "salesorders",
        "salesorder",
        "Sales Order",
        "Sales Orders",
        "salesorder_number",
        "customer",
        ("draft", "open", "confirmed", "invoiced", "partially_invoiced", "closed", "void"),
    ),
    # Inventory only: the number key of an adjustment is its reference_number
    "inventoryadjustments": _doc(
        "inventoryadjustments",
        "inventory_adjustment",
        "Inventory Adjustment",
        "Inventory Adjustments",
        "reference_number",
        "",
        ("adjusted", "draft"),
        "inventory_adjustments",
    ),
    "transferorders": _doc(
        "transferorders",
        "transfer_order",
        "Transfer Order",
        "Transfer Orders",
        "transfer_order_number",
        "",
        ("draft", "in_transit", "transferred"),
        "transfer_orders",
    ),
    "pricebooks": EntitySpec(
        "pricebooks",
        "pricebook",
        "Price Book",
        "Price Books",
        {"name": "name", **_TIME_SORTS},
        ("name", "A"),
        ACTIVE_FILTERS,
        "Status.All",
    ),
    "purchaseorders": _doc(
        "purchaseorders",
        "purchaseorder",
        "Purchase Order",
        "Purchase Orders",
        "purchaseorder_number",
        "vendor",
        ("draft", "open", "billed", "partially_billed", "closed", "cancelled"),
    ),
    "estimates": _doc(
        "estimates",
        "estimate",
        "Estimate",
        "Estimates",
        "estimate_number",
        "customer",
        ("draft", "sent", "accepted", "declined", "expired", "invoiced"),
    ),
    "vendorcredits": _doc(
        "vendorcredits",
        "vendor_credit",
        "Vendor Credit",
        "Vendor Credits",
        "vendor_credit_number",
        "vendor",
        ("draft", "open", "closed", "void"),
        "vendor_credits",
    ),
    "customerpayments": _payments(
        "customerpayments", "payment", "Customer Payment", "Customer Payments", ""
    ),
    "vendorpayments": _payments(
        "vendorpayments", "vendorpayment", "Vendor Payment", "Vendor Payments", ""
    ),
    # the number column of an expense is its reference_number
    "expenses": _doc(
        "expenses",
        "expense",
        "Expense",
        "Expenses",
        "reference_number",
        "",
        ("unbilled", "invoiced", "reimbursed", "nonbillable"),
        lmt_filter="unconfirmed",
    ),
    "users": _setting("users", "user", "User", "Users", "name",
                      filters={**ACTIVE_FILTERS, "Status.Invited": _equals("invited")}),
    "taxes": _setting("taxes", "tax", "Tax", "Taxes", "tax_name", path="settings/taxes"),
    "currencies": _setting("currencies", "currency", "Currency", "Currencies", "currency_code",
                           path="settings/currencies"),
    "chartofaccounts": _setting("chartofaccounts", "chart_of_account", "Account",
                                "Chart of Accounts", "account_name", id_key="account_id",
                                lmt_filter="yes", filters={"AccountType.All": None,
                                "AccountType.Active": _equals("active"),
                                "AccountType.Inactive": _equals("inactive")}),
}  # fmt: skip

DOCUMENTS = ("invoices", "bills", "creditnotes", "salesorders", "purchaseorders", "estimates",
             "vendorcredits")  # fmt: skip
PAYMENTS = ("customerpayments", "vendorpayments")
SETTINGS = ("users", "taxes", "currencies", "chartofaccounts")
INVENTORY_DOCS = ("inventoryadjustments", "transferorders")  # served by Inventory only

# id namespaces (see clock.make_id)
ENT = {
    "items": 1,
    "contacts": 2,
    "invoices": 3,
    "bills": 4,
    "creditnotes": 5,
    "salesorders": 6,
    "pricebooks": 7,
    "warehouses": 8,
    "pricebook_items": 10,
    "images": 11,
    "custom_fields": 12,
    "currencies": 13,
    "accounts": 14,
    "taxes": 15,
    "categories": 16,
    "persons": 17,
    "stock": 30,
    "inventoryadjustments": 18,
    "transferorders": 19,
    "reasons": 20,
    # issue 24
    "customerpayments": 21,
    "vendorpayments": 22,
    "purchaseorders": 9,
    "estimates": 29,
    "vendorcredits": 31,
    "expenses": 32,
    "users": 33,
    "invoice_payments": 34,
    "bill_payments": 35,
    "addresses": 36,
    "roles": 37,
    "chartofaccounts": 14,  # the accounts' namespace: items already point at 1 and 2
}
LINE_ENT = {
    "invoices": 23,
    "bills": 24,
    "creditnotes": 25,
    "salesorders": 26,
    "inventoryadjustments": 27,
    "transferorders": 28,
    "purchaseorders": 38,
    "estimates": 39,
    "vendorcredits": 40,
}


def spec_for(entity: str) -> EntitySpec:
    return SPECS[entity]


def is_row_active(row: Row) -> bool:
    return row.status == "active"
