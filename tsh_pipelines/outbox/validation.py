"""What an order must be before it may go to Zoho: one check for both ways in.

The receiver's `POST /api/tds/orders` refuses a bad order with a 422 naming the field, and
stores nothing; a row inserted by SQL is checked the same way by the push before any Zoho
call, and a bad one ends `failed` with the same message. Free of Dagster and of the web
stack: the receiver imports it.

An order (the `payload` of a `tds_outbox` row):

    {"kind": "consumer_order" | "pos_sale", "external_id": "APP-1001",
     "customer": {"name": "…", "email": "…", "phone": "…"},      # email or phone
     "items": [{"product_id": "<Zoho item id>", "quantity": 2, "price": 15000}],
     "currency": "IQD", "delivery_address": "…", "notes": "…",
     "payment_mode": "cash"}                                      # POS sales only

A consumer order's lines must be products the consumer app shows (the consumer catalogue) at
the price it shows; a POS sale takes any active product at the price given, else its rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tsh_db.schema import consumer_catalog, products

CONSUMER, POS = "consumer_order", "pos_sale"
KINDS = (CONSUMER, POS)
MAX_LINES = 100
# Zoho's default payment modes (an organisation may add its own)
PAYMENT_MODES = ("cash", "bank transfer", "check", "credit card")


class OrderRejected(ValueError):
    """A bad order: `field` is where (`items[1].quantity`), the message says what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Line:
    product_id: str
    name: str
    sku: str | None
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Order:
    kind: str
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    lines: list[Line]
    currency: str
    delivery_address: str | None = None
    notes: str | None = None
    payment_mode: str = "cash"

    @property
    def total(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    def columns(self) -> dict[str, Any]:
        """The outbox columns derived from the order."""
        return {"kind": self.kind, "external_id": self.external_id,
                "customer_email": self.email, "customer_phone": self.phone,
                "total_amount": self.total, "currency": self.currency}  # fmt: skip


def _text(value: Any, where: str, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise OrderRejected(where, "is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise OrderRejected(where, f"must be text of at most {limit} characters")
    return value.strip()


def _customer(raw: Any) -> tuple[str, str | None, str | None]:
    if not isinstance(raw, Mapping):
        raise OrderRejected("customer", "is required: an object with an email or a phone")
    email = _text(raw.get("email"), "customer.email", 254)
    phone = _text(raw.get("phone"), "customer.phone", 64)
    if email is not None and ("@" not in email or " " in email):
        raise OrderRejected("customer.email", f"{email!r} is not an email address")
    if email is None and phone is None:
        raise OrderRejected("customer", "needs an email or a phone: an order must name "
                            "its customer")  # fmt: skip
    name = _text(raw.get("name"), "customer.name", 200) or email or phone
    assert name is not None
    return name, email.lower() if email else None, phone


def _quantity(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise OrderRejected(where, f"{value!r} is not a whole number")
    if value <= 0:
        raise OrderRejected(where, f"must be at least 1, not {value}")
    return int(value)


def _price(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        price = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price < 0:
        raise OrderRejected(where, f"{value!r} is not a price (a number of at least 0)")
    return price


def validate(conn: Connection, raw: Any) -> Order:
    """The order, checked against the replica; OrderRejected naming the first bad field."""
    if not isinstance(raw, Mapping):
        raise OrderRejected("body", "must be a JSON object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise OrderRejected("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    name, email, phone = _customer(raw.get("customer"))
    if kind == CONSUMER and email is None:
        raise OrderRejected("customer.email", "is required for a consumer order (the app "
                            "shows the customer's orders by it)")  # fmt: skip
    items = raw.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_LINES:
        raise OrderRejected("items", f"must be a list of 1 to {MAX_LINES} lines")
    wanted = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise OrderRejected(f"items[{n}]", "must be an object")
        pid = item.get("product_id")
        if isinstance(pid, bool) or not str(pid or "").isdigit():
            raise OrderRejected(f"items[{n}].product_id", f"{pid!r} is not a Zoho item id")
        wanted.append((str(pid), _quantity(item.get("quantity"), f"items[{n}].quantity"),
                       _price(item.get("price"), f"items[{n}].price")))  # fmt: skip
    lines = _priced_lines(conn, kind, wanted)
    currency = _text(raw.get("currency"), "currency", 8) or "IQD"
    if kind == CONSUMER and currency != "IQD":
        raise OrderRejected("currency", "consumer orders are in IQD, the consumer price list's")
    mode = _text(raw.get("payment_mode"), "payment_mode", 32) or "cash"
    if mode not in PAYMENT_MODES:
        raise OrderRejected("payment_mode", f"must be one of {', '.join(PAYMENT_MODES)}")
    return Order(
        kind=kind, external_id=_text(raw.get("external_id"), "external_id", 64),
        name=name, email=email, phone=phone, lines=lines, currency=currency,
        delivery_address=_text(raw.get("delivery_address"), "delivery_address", 500),
        notes=_text(raw.get("notes"), "notes", 2000), payment_mode=mode,
    )  # fmt: skip


def _priced_lines(conn: Connection, kind: str, wanted: list[tuple]) -> list[Line]:
    ids = sorted({pid for pid, _, _ in wanted})
    p, c = products, consumer_catalog
    found = {
        r.zoho_id: r
        for r in conn.execute(
            select(p.c.zoho_id, p.c.name, p.c.sku, p.c.price, p.c.is_active, p.c.deleted_at,
                   c.c.price.label("consumer_price"))
            .join(c, c.c.product_zoho_id == p.c.zoho_id, isouter=True)
            .where(p.c.zoho_id.in_(ids))
        )
    }  # fmt: skip
    lines = []
    for n, (pid, quantity, price) in enumerate(wanted):
        where, row = f"items[{n}]", found.get(pid)
        if row is None:
            raise OrderRejected(f"{where}.product_id", f"no product {pid} in Zoho (as far as "
                                "the replica knows): check the id")  # fmt: skip
        if row.deleted_at is not None or not row.is_active:
            gone = "was deleted in Zoho" if row.deleted_at is not None else "is inactive"
            raise OrderRejected(f"{where}.product_id", f"product {pid} ({row.name}) {gone}")
        if kind == CONSUMER:
            if row.consumer_price is None:
                raise OrderRejected(
                    f"{where}.product_id",
                    f"product {pid} ({row.name}) is "
                    "not offered to consumers (no consumer price or no stock)",
                )
            listed = Decimal(str(row.consumer_price))
            if price is not None and abs(price - listed) > Decimal("0.005"):
                raise OrderRejected(f"{where}.price", f"{price} disagrees with the consumer "
                                    f"price list's {listed:f} for product {pid}")  # fmt: skip
            price = listed
        elif price is None:
            price = Decimal(str(row.price or 0))
        lines.append(Line(pid, row.name, row.sku, quantity, price))
    return lines
