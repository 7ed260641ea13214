"""The replica against the sandbox, record by record: what is lost, resurrected, stale, doubled.

Used by the convergence suite (which demands zero of each) and by `bench/soak.py` (which
reports the counts). Compares live ids, versions, key fields, the line items of every
document, stock totals and stock per warehouse, and every price of every live price book.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsh_db.schema import metadata
from tsh_pipelines.entities import BY_NAME, Child
from tsh_pipelines.sync.mapping import child_rows
from tsh_pipelines.zoho.timefmt import parse_zoho_time
from zoho_sandbox.process import SandboxProcess

NOW = datetime(2026, 1, 1, tzinfo=UTC)  # child_rows stamps rows; never compared
DOC_FIELDS = ("total", "status")
# registry entity -> (sandbox entity, {column: zoho field} compared beside id and version).
# Child rows (line items, a payment's invoices, a contact's persons and addresses) are
# compared whole, as the registry maps them, for every entity that has them.
COMPARED: dict[str, tuple[str, dict[str, str]]] = {
    "products": ("items", {"name": "name", "sku": "sku", "price": "rate",
                           "stock_on_hand": "stock_on_hand",
                           "actual_available_stock": "actual_available_stock"}),
    "customers": ("contacts", {"name": "contact_name", "phone": "phone",
                               "owner_zoho_id": "owner_id"}),
    "vendors": ("contacts", {"name": "contact_name", "phone": "phone"}),
    "price_lists": ("pricebooks", {"name": "name"}),
    "inventory_adjustments": ("inventoryadjustments",
                              {"reference_number": "reference_number", "total": "total",
                               "status": "status", "adjustment_type": "adjustment_type"}),
    "transfer_orders": ("transferorders",
                        {"transfer_order_number": "transfer_order_number", "status": "status",
                         "from_warehouse_zoho_id": "from_warehouse_id",
                         "to_warehouse_zoho_id": "to_warehouse_id"}),
    **{name: (path, {f"{key}_number": f"{key}_number", **{f: f for f in DOC_FIELDS}})
       for name, path, key in (
           ("invoices", "invoices", "invoice"), ("bills", "bills", "bill"),
           ("credit_notes", "creditnotes", "creditnote"),
           ("sales_orders", "salesorders", "salesorder"),
           ("estimates", "estimates", "estimate"),
           ("purchase_orders", "purchaseorders", "purchaseorder"),
           ("vendor_credits", "vendorcredits", "vendor_credit"))},
    "customer_payments": ("customerpayments", {"payment_number": "payment_number",
                                               "amount": "amount"}),
    "vendor_payments": ("vendorpayments", {"payment_number": "payment_number",
                                           "amount": "amount"}),
    "expenses": ("expenses", {"total": "total", "status": "status"}),
    "zoho_users": ("users", {"name": "name", "email": "email", "status": "status"}),
    "taxes": ("taxes", {"name": "tax_name", "percentage": "tax_percentage"}),
    "currencies": ("currencies", {"currency_code": "currency_code"}),
    "chart_of_accounts": ("chartofaccounts", {"name": "account_name"}),
}  # fmt: skip


@dataclass
class Divergence:
    lost: Counter = field(default_factory=Counter)
    resurrected: Counter = field(default_factory=Counter)
    stale: Counter = field(default_factory=Counter)
    duplicated: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def note(self, kind: str, entity: str, what: str) -> None:
        getattr(self, kind)[entity] += 1
        if len(self.examples) < 30:
            self.examples.append(f"{kind} {entity}: {what}")

    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(self, k).values())
                for k in ("lost", "resurrected", "stale", "duplicated")}  # fmt: skip

    @property
    def clean(self) -> bool:
        return not any(self.totals().values())


def _same(stored: Any, truth: Any) -> bool:
    if isinstance(truth, bool) or isinstance(stored, bool):
        return stored == truth
    if isinstance(stored, Decimal) or isinstance(truth, int | float) and stored is not None:
        try:
            return Decimal(str(stored)) == Decimal(str(truth))
        except ArithmeticError:
            return False
    return stored == truth or (stored is None and truth in ("", None))


def _rows(engine: Engine, table: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(metadata.tables[table])).mappings()]


def compare(sandbox: SandboxProcess, engine: Engine) -> Divergence:
    out = Divergence()
    truth_items: list[dict] = []
    for name, (sandbox_entity, fields) in COMPARED.items():
        entity = BY_NAME[name]
        records = [r for r in sandbox.records(sandbox_entity) if entity.keeps(r)]
        truth = {str(r[entity.id_field]): r for r in records}
        if name == "products":
            truth_items = list(truth.values())
        rows = _rows(engine, name)
        live = {r["zoho_id"]: r for r in rows if r["deleted_at"] is None}
        for zoho_id in truth.keys() - live.keys():
            out.note("lost", name, zoho_id)
        for zoho_id in live.keys() - truth.keys():
            out.note("resurrected", name, zoho_id)
        for zoho_id in truth.keys() & live.keys():
            row, rec = live[zoho_id], truth[zoho_id]
            version = parse_zoho_time(rec.get("last_modified_time"))
            wrong = [c for c, f in fields.items() if not _same(row[c], rec.get(f))]
            if row["zoho_last_modified_time"] != version or wrong:
                out.note("stale", name, f"{zoho_id} {wrong or 'version'}")
        for child in entity.children:
            _children(out, engine, child, truth, live)
    _warehouse_stock(out, engine, truth_items)
    _prices(out, engine, sandbox)
    return out


def _children(out: Divergence, engine: Engine, child: Child, truth: dict, live: dict) -> None:
    """Each live record's child rows are exactly those its Zoho detail maps to."""
    table = metadata.tables[child.table]
    key = table.c[2].name  # the row's own key: (id, parent id, key, ...)
    mapped = [c for c in child.fields if c != key]
    stored: dict[str, dict[str, list[dict]]] = {}
    for r in _rows(engine, child.table):
        stored.setdefault(r[child.parent_column], {}).setdefault(str(r[key]), []).append(r)
    for zoho_id in truth.keys() & live.keys():
        want = {str(r[key]): r for r in child_rows(child, table, zoho_id, truth[zoho_id], NOW)}
        have = stored.get(zoho_id, {})
        if any(len(rows) > 1 for rows in have.values()):
            out.note("duplicated", child.table, zoho_id)
        elif set(have) != set(want) or any(
            not _same(have[k][0][c], want[k][c]) for k in want for c in mapped
        ):
            out.note("stale", child.table, zoho_id)


def _warehouse_stock(out: Divergence, engine: Engine, items: list[dict]) -> None:
    stored = {(r["product_zoho_id"], r["warehouse_zoho_id"]): r
              for r in _rows(engine, "product_warehouse_stock")}  # fmt: skip
    for item in items:
        for w in item.get("warehouses") or []:
            key = (str(item["item_id"]), str(w["warehouse_id"]))
            row = stored.get(key)
            if row is None:
                out.note("lost", "product_warehouse_stock", str(key))
            elif not _same(row["stock_on_hand"], w["warehouse_stock_on_hand"]):
                out.note("stale", "product_warehouse_stock", str(key))


def _prices(out: Divergence, engine: Engine, sandbox: SandboxProcess) -> None:
    stored: dict[tuple[str, str], Any] = {
        (r["price_list_zoho_id"], r["product_zoho_id"]): r["price"]
        for r in _rows(engine, "product_prices")
        if r["deleted_at"] is None
    }
    for book in sandbox.records("pricebooks"):
        for item in book.get("pricebook_items") or []:
            key = (str(book["pricebook_id"]), str(item["item_id"]))
            if key not in stored:
                out.note("lost", "product_prices", str(key))
            elif not _same(stored[key], item["pricebook_rate"]):
                out.note("stale", "product_prices", str(key))
