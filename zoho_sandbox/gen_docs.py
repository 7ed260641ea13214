"""Invoices, bills, credit notes, sales orders, purchase orders, estimates and vendor credits.

Dates, numbers, parties and statuses are drawn for all documents at start; line items (and so
totals) are rebuilt from (seed, document index) whenever a document is rendered, which keeps
200k documents cheap to hold and every detail identical across calls and processes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .catalog import SALESPEOPLE, WAREHOUSES
from .clock import (
    DAY_SECONDS,
    DOC_FIRST_DAY,
    DOC_LAST_DAY,
    GEN_END,
    day_start,
    day_str,
    fmt_ts,
    make_id,
    rng_for,
)
from .gen_contacts import USD_PER_IQD, ContactCatalog, currency_id
from .gen_items import ItemCatalog, sku_of
from .specs import ENT, LINE_ENT
from .store import Row

DETAIL_ONLY_DOC_KEYS = (
    "line_items",
    "sub_total",
    "tax_total",
    "notes",
    "terms",
    "billing_address",
    "custom_fields",
)
QUANTITIES = (1, 1, 1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 24, 50)


@dataclass(frozen=True)
class DocKind:
    entity: str
    prefix: str
    id_key: str
    number_key: str
    party: str  # customer | vendor
    second_date: str  # due_date / shipment_date / "" (credit notes carry no second date)


KINDS = {
    "invoices": DocKind("invoices", "INV", "invoice_id", "invoice_number", "customer", "due_date"),
    "bills": DocKind("bills", "BILL", "bill_id", "bill_number", "vendor", "due_date"),
    "creditnotes": DocKind(
        "creditnotes", "CN", "creditnote_id", "creditnote_number", "customer", ""
    ),
    "salesorders": DocKind(
        "salesorders", "SO", "salesorder_id", "salesorder_number", "customer", "shipment_date"
    ),
    "purchaseorders": DocKind(
        "purchaseorders",
        "PO",
        "purchaseorder_id",
        "purchaseorder_number",
        "vendor",
        "delivery_date",
    ),
    "estimates": DocKind(
        "estimates", "EST", "estimate_id", "estimate_number", "customer", "expiry_date"
    ),
    "vendorcredits": DocKind(
        "vendorcredits", "DN", "vendor_credit_id", "vendor_credit_number", "vendor", ""
    ),
}
# priced at the item's purchase rate, as bills
PURCHASE_SIDE = ("bills", "purchaseorders", "vendorcredits")
# documents carrying a balance: what is left to pay, or of a credit to apply
BALANCED = ("invoices", "bills", "creditnotes", "vendorcredits")
PAID_BY = {"invoices": "customerpayments", "bills": "vendorpayments"}
# the statuses drawn per kind (a document's own statuses are in specs.SPECS)
DRAWN = {
    "purchaseorders": (("draft", "cancelled", "open", "partially_billed", "billed", "closed"),
                       (0.06, 0.09, 0.3, 0.38, 0.9)),
    "estimates": (("draft", "declined", "expired", "sent", "accepted", "invoiced"),
                  (0.08, 0.18, 0.3, 0.45, 0.6)),
    "vendorcredits": (("draft", "void", "open", "closed"), (0.05, 0.08, 0.4)),
}  # fmt: skip


def pick_status(rng: random.Random, entity: str, due_day: int) -> str:
    r = rng.random()
    if entity in ("invoices", "bills"):
        if r < 0.04:
            return "draft"
        if r < 0.06:
            return "void"
        r = rng.random()
        if due_day < DOC_LAST_DAY:  # due before the data set's "today"
            return "paid" if r < 0.7 else ("partially_paid" if r < 0.8 else "overdue")
        waiting = "sent" if entity == "invoices" else "open"
        return waiting if r < 0.55 else ("paid" if r < 0.9 else "partially_paid")
    if entity == "creditnotes":
        return ("draft", "void", "open", "closed")[_bucket(r, (0.05, 0.08, 0.38))]
    if entity in DRAWN:
        statuses, edges = DRAWN[entity]
        return statuses[_bucket(r, edges)]
    return ("draft", "void", "open", "invoiced", "partially_invoiced", "closed")[
        _bucket(r, (0.05, 0.08, 0.28, 0.83, 0.9))
    ]


def _bucket(r: float, edges: tuple[float, ...]) -> int:
    return next((i for i, edge in enumerate(edges) if r < edge), len(edges))


def doc_core(rng: random.Random, n_party: int, offset: int) -> tuple[int, int, float]:
    """(contact catalog index of the party, due days, paid fraction); vendors follow the
    customers in the catalog, hence the offset."""
    party = offset + rng.randrange(n_party) if n_party else -1
    return party, rng.choice((0, 15, 30, 45, 60)), round(rng.uniform(0.2, 0.8), 2)


def party_range(kind: DocKind, contacts: ContactCatalog) -> tuple[int, int]:
    if kind.party == "vendor":
        return contacts.vendors, contacts.customers
    return contacts.customers, 0


def generate_docs(seed: int, kind: DocKind, n: int, contacts: ContactCatalog) -> list[Row]:
    rng = random.Random(f"{seed}:{kind.entity}")
    # numbers grow with the date, as in a real organisation
    days = sorted(rng.randint(DOC_FIRST_DAY, DOC_LAST_DAY) for _ in range(n))
    n_party, offset = party_range(kind, contacts)
    rows = []
    for idx, day in enumerate(days):
        core = doc_core(rng, n_party, offset)
        status = pick_status(rng, kind.entity, day + core[1])
        created = day_start(day) + 8 * 3600 + rng.randrange(10 * 3600)
        lmt = (
            created
            if rng.random() < 0.6
            else min(GEN_END, created + rng.randrange(60 * DAY_SECONDS))
        )
        rid = str(make_id(seed, ENT[kind.entity], idx + 1))
        rows.append(
            Row(
                rid,
                idx,
                f"{kind.prefix}-{idx + 1:06d}",
                created,
                lmt,
                day_str(day),
                status,
                "books",
                core,
            )
        )
    return rows


def gen_lines(
    seed: int, kind: DocKind, idx: int, rng: random.Random, items: ItemCatalog, usd: bool
) -> tuple[list[dict[str, Any]], float, float]:
    lines: list[dict[str, Any]] = []
    sub_total = tax_total = 0.0
    for k in range(rng.randint(1, 6) if items.books_count else 0):
        j = rng.randrange(items.books_count)
        qty = rng.choice(QUANTITIES)
        base = items.rates[j]
        if kind.entity in PURCHASE_SIDE:
            base = items.prates[j] or round(base * 0.7)
        rate = round(base / USD_PER_IQD, 2) if usd else base
        r = rng.random()
        discount: float | str = (
            0.0 if r < 0.7 else (float(rng.choice((5, 10))) if r < 0.85 else "")
        )  # "" is a real-data quirk
        r = rng.random()
        tax: float | str = 0.0 if r < 0.75 else (5.0 if r < 0.95 else "5%")
        pct = float(str(tax).rstrip("%"))
        gross = qty * rate
        item_total = round(gross * (1 - (discount or 0) / 100), 2)
        sub_total += item_total
        tax_total += round(item_total * pct / 100, 2)
        lines.append(
            {
                "line_item_id": str(make_id(seed, LINE_ENT[kind.entity], idx * 10 + k + 1)),
                "item_id": items.ids[j],
                "name": items.names[j],
                "sku": sku_of(j),
                "description": "",
                "item_order": k + 1,
                "quantity": float(qty),
                "unit": items.units[j],
                "rate": rate,
                "discount": discount,
                "discount_amount": round(gross - item_total, 2),
                "tax_id": str(make_id(seed, ENT["taxes"], 1)) if pct else "",
                "tax_name": "VAT" if pct else "",
                "tax_percentage": tax,
                "item_total": item_total,
                **line_warehouse(seed, idx * 10 + k),
            }
        )
    return lines, round(sub_total, 2), round(tax_total, 2)


def line_warehouse(seed: int, serial: int) -> dict[str, str]:
    """The warehouse a generated line ships from or into: mostly the primary (drawn from
    the line's serial, not the RNG, so every other field stays as it was)."""
    n = {3: 1, 4: 2}.get(serial % 5, 0)
    return {"warehouse_id": str(make_id(seed, ENT["warehouses"], n + 1)),
            "warehouse_name": WAREHOUSES[n][0]}  # fmt: skip


def _balance(status: str, total: float, paid: float) -> float:
    """Invoices and bills owe their total less the payments applied to them (`paid`); a
    credit is open until applied or closed."""
    if status in ("void", "closed"):
        return 0.0
    return round(total - paid, 2)


def render_doc(
    seed: int,
    kind: DocKind,
    row: Row,
    items: ItemCatalog,
    contacts: ContactCatalog,
    paid: float = 0.0,
) -> dict[str, Any]:
    """The document; `paid`: what the payments applied to it add up to (invoices, bills)."""
    if row.rec is not None:
        return row.rec
    party, due_days, _frac = row.core
    rng = rng_for(seed, ENT[kind.entity], row.idx)
    currency = contacts.currencies[party] if party >= 0 else "IQD"
    lines, sub_total, tax_total = gen_lines(seed, kind, row.idx, rng, items, currency == "USD")
    total = round(sub_total + tax_total, 2)
    rec: dict[str, Any] = {
        kind.id_key: row.id,
        kind.number_key: row.name,
        "date": row.date,
        f"{kind.party}_id": contacts.ids[party] if party >= 0 else "",
        f"{kind.party}_name": contacts.names[party] if party >= 0 else "",
        "status": row.status,
        "reference_number": f"REF-{rng.randint(1000, 99999)}",
        "currency_id": currency_id(seed, currency),
        "currency_code": currency,
        "exchange_rate": USD_PER_IQD if currency == "USD" else 1.0,
        "salesperson_name": rng.choice(SALESPEOPLE) if kind.party == "customer" else "",
        "sub_total": sub_total,
        "tax_total": tax_total,
        "total": total,
    }
    if kind.entity in BALANCED:
        rec["balance"] = _balance(row.status, total, paid)
    if kind.second_date:
        rec[kind.second_date] = _add_days(row.date, due_days)
    rec.update(
        {
            "line_items": lines,
            "notes": "Thank you for your business.",
            "terms": "",
            "custom_fields": [
                {
                    "customfield_id": str(make_id(seed, ENT["custom_fields"], 2)),
                    "index": 1,
                    "label": "Branch",
                    "api_name": "cf_branch",
                    "data_type": "string",
                    "value": "Baghdad",
                }
            ],
            "custom_field_hash": {"cf_branch": "Baghdad", "cf_branch_unformatted": "Baghdad"},
            "created_time": fmt_ts(row.created),
            "last_modified_time": fmt_ts(row.lmt),
        }
    )
    return rec


def _add_days(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def doc_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_DOC_KEYS}
