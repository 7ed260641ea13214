"""The generated organisation: one store per entity and the renderers for every shape."""

from __future__ import annotations

from typing import Any

from . import clock
from .clock import make_id
from .config import SandboxConfig
from .gen_contacts import contact_summary, generate_contacts, render_contact
from .gen_docs import KINDS, doc_summary, generate_docs, render_doc
from .gen_expenses import generate_expenses, render_expense
from .gen_inventory import (
    generate_adjustments,
    generate_transfers,
    inventory_doc_summary,
    render_adjustment,
    render_transfer,
)
from .gen_items import (
    generate_items,
    inventory_item,
    item_summary,
    numify_ids,
    render_item,
    sku_of,
    stock_of,
    stock_totals,
    warehouse_stock,
)
from .gen_payments import (
    PAY_KINDS,
    Ledger,
    generate_payments,
    payment_summary,
    render_payment,
)
from .gen_pricebooks import generate_pricebooks, pricebook_fields, render_pricebook
from .gen_settings import contact_owner, generate_settings, render_setting
from .specs import DOCUMENTS, ENT, INVENTORY_DOCS, PAYMENTS, SETTINGS, SPECS
from .store import EntityStore, Row
from .switches import Switches

ENTITIES = ("items", "contacts", *DOCUMENTS, "pricebooks", *INVENTORY_DOCS, *PAYMENTS,
            "expenses", *SETTINGS)  # fmt: skip
FLAT = ("expenses", *SETTINGS)  # the listing record is the whole record
# Books item records carry these stock totals (unconfirmed in Zoho's docs)
BOOKS_STOCK_KEYS = ("stock_on_hand", "available_stock", "actual_available_stock")


class World:
    def __init__(self, cfg: SandboxConfig) -> None:
        seed = self.seed = cfg.seed
        self.locations = cfg.inventory_mode == "locations"
        self.honour_offset = cfg.filter_offset == "honoured"
        # what listings read of the switches (the Mutator holds the same object)
        self.switches = Switches.from_config(cfg)
        pricebook_ids = self.pricebook_ids = (
            str(make_id(seed, ENT["pricebooks"], 1)),
            str(make_id(seed, ENT["pricebooks"], 2)),
        )
        item_rows, self.items = generate_items(seed, cfg.items, cfg.inventory_only_items)
        contact_rows, self.contacts = generate_contacts(
            seed, cfg.customers, cfg.vendors, pricebook_ids
        )
        rows: dict[str, list[Row]] = {
            "items": item_rows,
            "contacts": contact_rows,
            "pricebooks": generate_pricebooks(seed, self.items),
            "inventoryadjustments": generate_adjustments(seed, cfg.inventory_adjustments),
            "transferorders": generate_transfers(seed, cfg.transfer_orders),
            "expenses": generate_expenses(seed, cfg.expenses, self.contacts),
            **generate_settings(seed),
        }
        sizes = {
            "invoices": cfg.invoices,
            "bills": cfg.bills,
            "creditnotes": cfg.creditnotes,
            "salesorders": cfg.salesorders,
            "purchaseorders": cfg.purchase_orders,
            "estimates": cfg.estimates,
            "vendorcredits": cfg.vendor_credits,
            "customerpayments": cfg.customer_payments,
            "vendorpayments": cfg.vendor_payments,
        }
        for entity in DOCUMENTS:
            rows[entity] = generate_docs(seed, KINDS[entity], sizes[entity], self.contacts)
        # payments applied to invoices and bills: the ledger, by document kind
        self.ledger: dict[str, Ledger] = {}
        for entity, pk in PAY_KINDS.items():
            kind = KINDS[pk.docs]

            def render(row: Row, paid: float, kind: Any = kind) -> dict[str, Any]:
                return render_doc(seed, kind, row, self.items, self.contacts, paid)

            rows[entity], self.ledger[pk.docs] = generate_payments(
                seed, pk, sizes[entity], rows[pk.docs], render, self.contacts
            )
        self.stores = {e: EntityStore(rows[e], SPECS[e].filters) for e in ENTITIES}

    @property
    def time_zone(self) -> str:
        """The organisation's zone as `GET /organizations` reports it (it may change at run
        time: `POST /_sandbox/clock`)."""
        return clock.TZ_NAME

    # -- Books shapes -------------------------------------------------------------------
    def detail(self, entity: str, row: Row) -> dict[str, Any]:
        if entity == "items":
            return render_item(self.seed, row)
        if entity == "contacts":
            owner = contact_owner(self.seed, row.core[0], row.idx)
            return render_contact(self.seed, row, self.pricebook_names(), owner)
        if entity in PAY_KINDS:
            return render_payment(self.seed, PAY_KINDS[entity], row, self.contacts)
        if entity == "expenses":
            return render_expense(self.seed, row, self.contacts)
        if entity in SETTINGS:
            return render_setting(self.seed, entity, row)
        if entity == "pricebooks":
            return render_pricebook(self.seed, row, self.item_lookup)
        if entity == "inventoryadjustments":
            return render_adjustment(self.seed, row, self.items)
        if entity == "transferorders":
            return render_transfer(self.seed, row, self.items)
        paid = self.paid(entity, row.id)
        return render_doc(self.seed, KINDS[entity], row, self.items, self.contacts, paid)

    def paid(self, entity: str, doc_id: str) -> float:
        """What the payments applied to an invoice or bill add up to."""
        return round(sum(self.ledger.get(entity, {}).get(doc_id, {}).values()), 2)

    def summary(self, entity: str, row: Row) -> dict[str, Any]:
        if entity == "items":
            return item_summary(render_item(self.seed, row))
        if entity == "contacts":
            return contact_summary(self.detail(entity, row))
        if entity in PAY_KINDS:
            return payment_summary(self.detail(entity, row))
        if entity in FLAT:
            return self.detail(entity, row)
        if entity == "pricebooks":
            return pricebook_fields(self.seed, row)
        if entity in INVENTORY_DOCS:
            return inventory_doc_summary(self.detail(entity, row))
        return doc_summary(self.detail(entity, row))

    def published(self, entity: str, row: Row, detail: bool = True) -> dict[str, Any]:
        """The record as Zoho serves it and as its webhook carries it: Inventory's own
        documents with ids as JSON numbers, the rest as `detail`."""
        rec = self.detail(entity, row) if detail else self.summary(entity, row)
        return numify_ids(rec) if entity in INVENTORY_DOCS else rec

    def books_item(self, row: Row) -> dict[str, Any]:
        """Books' item record: the detail plus the stock totals (one database behind Books
        and Inventory, so they move with the documents)."""
        totals = stock_totals(stock_of(self.seed, row))
        return {**render_item(self.seed, row), **{k: totals[k] for k in BOOKS_STOCK_KEYS}}

    def pricebook_names(self) -> dict[str, str]:
        return {r.id: r.name for r in self.stores["pricebooks"].rows.values()}

    def item_lookup(self, item_id: str) -> tuple[str, str] | None:
        row = self.stores["items"].get(item_id)
        if row is None:
            return None
        sku = row.rec["sku"] if row.rec is not None else sku_of(row.idx)
        return row.name, sku

    # -- Inventory shape ----------------------------------------------------------------
    def inventory(self, row: Row, detail: bool) -> dict[str, Any]:
        return inventory_item(self.seed, row, detail, self.locations)

    # -- control API: every live record in detail shape, ids as text --------------------
    def records(self, entity: str) -> list[dict[str, Any]]:
        store = self.stores[entity]
        out = []
        for rid in sorted(store.rows):
            row = store.rows[rid]
            rec = dict(self.detail(entity, row))
            if entity == "items":
                stock = stock_of(self.seed, row)
                rec.update(stock_totals(stock))
                rec["warehouses"] = warehouse_stock(self.seed, stock)
                rec["source"] = row.source
            out.append(stringify_ids(rec))
        return out


def stringify_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                str(v)
                if k.endswith("_id") and isinstance(v, int) and not isinstance(v, bool)
                else stringify_ids(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [stringify_ids(v) for v in value]
    return value
