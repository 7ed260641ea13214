"""One outbox row to Zoho, exactly once: customer, document, payment (POS), void.

Each step records its result on the row as soon as Zoho answers, and marks the row *before*
each write (`*_sent_at`), so whatever kills a push, the next one knows which writes may have
reached Zoho and looks them up before sending again: a document by its `reference_number`
(`TDS-<id>`), a contact by email or phone, a payment on its invoice. A consumer order becomes
a sales order; a POS sale an invoice plus a customer payment applied to it (the invoice
listing's `reference_number` filter is documented, the sales receipts' is not). Zoho's answers
go through the one write path (`write_record`), so the replica has them at once.

Calls: 1 per consumer order, 2 per POS sale, +1 for a customer the replica does not know;
an ambiguous failure adds a lookup (and a fetch of what it finds).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from tsh_db.schema import customers
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.validation import POS, Order, validate
from tsh_pipelines.sync.records import write_record
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.writes import action, ambiguous, create, fetch, find, unanswered

# After a write got no answer at all, Zoho may still be saving it: look it up this much later.
LOOKUP_DELAY = timedelta(seconds=10)
MAX_SENDS = 3  # sends of one write in one push; then the row waits its turn again


@dataclass(frozen=True)
class Kind:
    entity: str  # the registry's name, for the write path
    path: str
    record_key: str
    id_field: str
    number_field: str


SALES_ORDER = Kind("sales_orders", "salesorders", "salesorder", "salesorder_id",
                   "salesorder_number")  # fmt: skip
INVOICE = Kind("invoices", "invoices", "invoice", "invoice_id", "invoice_number")


class Defer(Exception):
    """Not now, and not the order's fault: the row waits (no attempt spent)."""

    def __init__(self, reason: str, wait: timedelta | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class Push:
    def __init__(self, client: ZohoClient, engine: Engine, row: Mapping[str, Any],
                 log: logging.Logger | logging.LoggerAdapter) -> None:  # fmt: skip
        self.client, self.engine, self.log = client, engine, log
        self.row = dict(row)
        self.ref = store.reference(int(row["id"]))
        self.kind = INVOICE if row["kind"] == POS else SALES_ORDER

    def mark(self, **values: Any) -> None:
        store.progress(self.engine, self.row, **values)
        self.row.update(values)

    def run(self) -> str:
        """The outcome: synced or cancelled (Zoho errors and rejections are raised)."""
        row = self.row
        if row["cancelled_at"] and not row["document_sent_at"]:
            return store.CANCELLED  # never sent, so nothing to undo
        with self.engine.connect() as conn:
            order = validate(conn, row["payload"])
        if not row["zoho_document_id"]:
            customer = row["customer_zoho_id"] or self.customer(order)
            if not self.document(order, customer) and row["cancelled_at"]:
                return store.CANCELLED  # it never reached Zoho after all
        if row["cancelled_at"]:
            self.void()
            return store.CANCELLED
        if row["kind"] == POS and not row["zoho_payment_id"]:
            self.payment(order)
        return store.SYNCED

    # -- customer -----------------------------------------------------------------------
    def customer(self, order: Order) -> str:
        known = self.known_customer(order)
        if known is None and self.row["customer_sent_at"]:
            known = self.zoho_customer(order)
        if known is None:
            body = {"contact_name": order.name, "contact_type": "customer",
                    "email": order.email or "", "phone": order.phone or "",
                    "contact_persons": [{"first_name": order.name, "email": order.email or "",
                                         "phone": order.phone or "",
                                         "is_primary_contact": True}]}  # fmt: skip
            record = self.send_once("contacts", "contact", body, "customer_sent_at",
                                    lambda: self.zoho_customer(order, fetched=True))  # fmt: skip
            known = str(record["contact_id"])
        self.mark(customer_zoho_id=known)
        return known

    def known_customer(self, order: Order) -> str | None:
        """The replica's customer with this email (else phone), if any."""
        c = customers.c
        live = and_(c.deleted_at.is_(None), or_(c.contact_type.is_(None),
                                                c.contact_type == "customer"))  # fmt: skip
        tests = []
        if order.email:
            tests.append(func.lower(c.email) == order.email)
        if order.phone:
            tests.append(c.phone == order.phone)
        with self.engine.connect() as conn:
            for test in tests:
                found = conn.scalar(select(c.zoho_id).where(live, test).order_by(c.id).limit(1))
                if found:
                    return str(found)
        return None

    def zoho_customer(self, order: Order, fetched: bool = False) -> Any:
        """A contact Zoho holds with this email (else phone): what an unanswered create made."""
        for key, value in (("email", order.email), ("phone", order.phone)):
            if value:
                found = find(self.client, "contacts", "contacts", **{key: value})
                if found:
                    self.write("customers", found[0])
                    return found[0] if fetched else str(found[0]["contact_id"])
        return None

    # -- the document ---------------------------------------------------------------------
    def document(self, order: Order, customer: str) -> bool:
        """Create (or adopt) the sales order or invoice; False when Zoho never got it and the
        order is cancelled meanwhile."""
        k = self.kind
        if self.row["document_sent_at"]:
            found = self.zoho_document()
            if found is not None:
                return self.adopt(found)
            if self.row["cancelled_at"]:
                return False
        body: dict[str, Any] = {
            "customer_id": customer, "reference_number": self.ref,
            "line_items": [{"item_id": x.product_id, "quantity": x.quantity,
                            "rate": float(x.price)} for x in order.lines],
            "notes": order.notes or "",
        }  # fmt: skip
        if order.delivery_address:
            body["shipping_address"] = {"address": order.delivery_address}
        record = self.send_once(k.path, k.record_key, body, "document_sent_at",
                                self.zoho_document)  # fmt: skip
        return self.adopt(record)

    def zoho_document(self) -> dict | None:
        """Zoho's document for this row, found by its reference_number, in full."""
        k = self.kind
        found = find(self.client, k.path, k.path, reference_number=self.ref)
        if not found:
            return None
        if len(found) > 1:
            self.log.error(
                "%s: Zoho holds %d documents with reference %s: adopting the "
                "oldest; void the others by hand",
                k.path,
                len(found),
                self.ref,
            )
        oldest = min(found, key=lambda r: str(r.get("created_time") or ""))
        return fetch(self.client, f"{k.path}/{oldest[k.id_field]}", k.record_key)

    def adopt(self, record: Mapping[str, Any]) -> bool:
        k = self.kind
        self.write(k.entity, record)
        self.mark(
            zoho_document_type=k.record_key,
            zoho_document_id=str(record[k.id_field]),
            zoho_document_number=record.get(k.number_field),
            synced_at=utcnow(),
        )
        return True

    # -- POS payment ---------------------------------------------------------------------
    def payment(self, order: Order) -> None:
        if self.row["payment_sent_at"] and self.paid():
            return
        body = {"customer_id": self.row["customer_zoho_id"], "payment_mode": order.payment_mode,
                "amount": float(order.total), "reference_number": self.ref,
                "invoices": [{"invoice_id": self.row["zoho_document_id"],
                              "amount_applied": float(order.total)}]}  # fmt: skip
        paid = self.send_once("customerpayments", "payment", body, "payment_sent_at",
                              lambda: self.paid() or None)  # fmt: skip
        if isinstance(paid, Mapping) and paid.get("payment_id"):
            self.mark(zoho_payment_id=str(paid["payment_id"]))

    def paid(self) -> bool:
        """Whether the invoice is paid already (read from Zoho): then the payment is ours, as
        a POS sale's invoice is paid only by it; its id is looked up by reference."""
        invoice = fetch(self.client, f"invoices/{self.row['zoho_document_id']}", "invoice")
        self.write("invoices", invoice)
        if Decimal(str(invoice.get("balance") or 0)) > 0:
            return False
        found = find(self.client, "customerpayments", "customerpayments", reference_number=self.ref)
        self.mark(zoho_payment_id=str(found[0]["payment_id"]) if found else "settled")
        return True

    # -- cancellation after it was sent ---------------------------------------------------
    def void(self) -> None:
        k, doc = self.kind, self.row["zoho_document_id"]
        record = fetch(self.client, f"{k.path}/{doc}", k.record_key)
        if record.get("status") != "void":
            action(self.client, f"{k.path}/{doc}/status/void")
            record = fetch(self.client, f"{k.path}/{doc}", k.record_key)
        self.write(k.entity, record)
        self.mark(voided_at=utcnow())

    # -- one write, exactly once ----------------------------------------------------------
    def send_once(self, path: str, key: str, body: Mapping[str, Any], sent_mark: str,
                  lookup: Any) -> Any:  # fmt: skip
        """Mark, send; on an ambiguous failure look it up before sending again."""
        for _ in range(MAX_SENDS):
            self.mark(**{sent_mark: utcnow()})
            try:
                record = create(self.client, path, key, body)
            except Exception as exc:
                if not ambiguous(exc):
                    raise
                if unanswered(exc):  # Zoho may still be saving it: look later, not now
                    raise Defer(
                        f"{path}: no answer ({exc}); looked up before any resend", LOOKUP_DELAY
                    ) from exc
                self.log.warning("%s for %s: %s; looking it up", path, self.ref, exc)
                found = lookup()
                if found:
                    return found
                continue
            if path == "contacts":
                self.write("customers", record)
            return record
        raise Defer(f"{path}: {MAX_SENDS} sends failed ambiguously and none reached Zoho")

    def write(self, entity: str, record: Mapping[str, Any]) -> None:
        write_record(self.engine, BY_NAME[entity], record, "books")
