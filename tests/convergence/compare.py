"""The replica against the sandbox, record by record: what is lost, resurrected, stale, doubled.

Used by the convergence suite (which demands zero of each) and by `bench/soak.py` (which
reports the counts). Compares live ids, versions, key fields, the line items of every
document, stock totals and stock per warehouse, and every price of every live price book.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsh_db.schema import metadata
from tsh_pipelines.zoho.timefmt import parse_zoho_time
from zoho_sandbox.process import SandboxProcess

# sandbox entity -> (table, id field, {column: zoho field}, line items table, parent column)
ENTITIES: dict[str, tuple[str, str, dict[str, str], str | None, str | None]] = {
    "items": ("products", "item_id",
              {"name": "name", "sku": "sku", "price": "rate",
               "stock_on_hand": "stock_on_hand",
               "actual_available_stock": "actual_available_stock"}, None, None),
    "contacts": ("customers", "contact_id", {"name": "contact_name", "phone": "phone"},
                 None, None),
    "invoices": ("invoices", "invoice_id", {"invoice_number": "invoice_number",
                                            "total": "total", "status": "status"},
                 "invoice_line_items", "invoice_zoho_id"),
    "bills": ("bills", "bill_id", {"bill_number": "bill_number", "total": "total"},
              "bill_line_items", "bill_zoho_id"),
    "creditnotes": ("credit_notes", "creditnote_id",
                    {"creditnote_number": "creditnote_number", "total": "total"},
                    "credit_note_line_items", "credit_note_zoho_id"),
    "salesorders": ("sales_orders", "salesorder_id",
                    {"salesorder_number": "salesorder_number", "total": "total",
                     "status": "status"},
                    "sales_order_line_items", "sales_order_zoho_id"),
    "inventoryadjustments": ("inventory_adjustments", "inventory_adjustment_id",
                             {"reference_number": "reference_number", "total": "total",
                              "status": "status", "adjustment_type": "adjustment_type"},
                             "inventory_adjustment_line_items", "inventory_adjustment_zoho_id"),
    "transferorders": ("transfer_orders", "transfer_order_id",
                       {"transfer_order_number": "transfer_order_number", "status": "status",
                        "from_warehouse_zoho_id": "from_warehouse_id",
                        "to_warehouse_zoho_id": "to_warehouse_id"},
                       "transfer_order_line_items", "transfer_order_zoho_id"),
    "pricebooks": ("price_lists", "pricebook_id", {"name": "name"}, None, None),
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
    for entity, (table, id_field, fields, items_table, parent) in ENTITIES.items():
        truth = {str(r[id_field]): r for r in sandbox.records(entity)}
        if entity == "items":
            truth_items = list(truth.values())
        rows = _rows(engine, table)
        live = {r["zoho_id"]: r for r in rows if r["deleted_at"] is None}
        for zoho_id in truth.keys() - live.keys():
            out.note("lost", table, zoho_id)
        for zoho_id in live.keys() - truth.keys():
            out.note("resurrected", table, zoho_id)
        for zoho_id in truth.keys() & live.keys():
            row, rec = live[zoho_id], truth[zoho_id]
            version = parse_zoho_time(rec.get("last_modified_time"))
            wrong = [c for c, f in fields.items() if not _same(row[c], rec.get(f))]
            if row["zoho_last_modified_time"] != version or wrong:
                out.note("stale", table, f"{zoho_id} {wrong or 'version'}")
        if items_table and parent:
            _line_items(out, engine, items_table, parent, truth, live)
    _warehouse_stock(out, engine, truth_items)
    _prices(out, engine, sandbox)
    return out


def _line_items(
    out: Divergence, engine: Engine, table: str, parent: str, truth: dict, live: dict
) -> None:
    stored: dict[str, Counter] = {}
    for r in _rows(engine, table):
        stored.setdefault(r[parent], Counter())[r["zoho_line_item_id"]] += 1
    for zoho_id in truth.keys() & live.keys():
        want = Counter(str(li["line_item_id"]) for li in truth[zoho_id].get("line_items") or [])
        have = stored.get(zoho_id, Counter())
        if any(n > 1 for n in have.values()):
            out.note("duplicated", table, zoho_id)
        elif set(have) != set(want):
            out.note("stale", table, zoho_id)


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
