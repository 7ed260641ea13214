"""What each Zoho entity looks like from the outside: keys, labels, sorting and filters."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def list_name(self) -> str:
        return self.list_key or self.name


def _doc(
    name: str,
    record_key: str,
    label: str,
    report: str,
    number_key: str,
    party: str,
    statuses: tuple[str, ...],
    list_key: str = "",
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
    )


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
}

DOCUMENTS = ("invoices", "bills", "creditnotes", "salesorders")
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
}
LINE_ENT = {
    "invoices": 23,
    "bills": 24,
    "creditnotes": 25,
    "salesorders": 26,
    "inventoryadjustments": 27,
    "transferorders": 28,
}


def spec_for(entity: str) -> EntitySpec:
    return SPECS[entity]


def is_row_active(row: Row) -> bool:
    return row.status == "active"
