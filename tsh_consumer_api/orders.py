"""The consumer's order history, for the app: `GET /api/bff/mobile/consumer/orders/history`.

Only for the customer themself: the bearer token's `email` must be `customer_email` (`auth`).
The history is the customer's outbox orders not yet in Zoho (`pending`, or `cancelled` before
they were sent) plus the replicated sales orders and invoices of the Zoho contacts with that
email and those the outbox created for it, newest first. An invoice made from a sales order
is that order's next step, not another order, so it is left out. Statuses, from Zoho's:

| Zoho | app |
|---|---|
| outbox row not yet in Zoho (pending, processing, failed: to be replayed) | pending |
| sales order `draft`, `pending_approval`; invoice `draft` | pending |
| sales order `open`, `confirmed`, `approved`; invoice `sent`, `viewed`, `overdue` | confirmed |
| sales order `partially_invoiced`, `invoiced`, `onhold`; invoice `partially_paid` | processing |
| sales order `shipped_status` `shipped` / `partially_shipped` | shipped |
| sales order `closed` or `shipped_status` `fulfilled` / `delivered`; invoice `paid` | delivered |
| `void`, or an outbox order cancelled (before sending, or voided in Zoho) | cancelled |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from tsh_consumer_api.auth import token_email
from tsh_db.schema import (
    consumer_catalog,
    customers,
    invoice_line_items,
    invoices,
    sales_order_line_items,
    sales_orders,
    tds_outbox,
)

Status = Literal["pending", "confirmed", "processing", "shipped", "delivered", "cancelled"]
SALES_ORDER = {"draft": "pending", "pending_approval": "pending", "open": "confirmed",
               "confirmed": "confirmed", "approved": "confirmed", "onhold": "processing",
               "partially_invoiced": "processing", "invoiced": "processing",
               "closed": "delivered", "void": "cancelled"}  # fmt: skip
SHIPPED = {"shipped": "shipped", "partially_shipped": "shipped", "fulfilled": "delivered",
           "delivered": "delivered"}  # fmt: skip
INVOICE = {"draft": "pending", "sent": "confirmed", "viewed": "confirmed",
           "overdue": "confirmed", "unpaid": "confirmed", "partially_paid": "processing",
           "paid": "delivered", "void": "cancelled"}  # fmt: skip
DOCS = ((sales_orders, sales_order_line_items, "sales_order_zoho_id", "salesorder_number"),
        (invoices, invoice_line_items, "invoice_zoho_id", "invoice_number"))  # fmt: skip


class OrderItem(BaseModel):
    product_id: str
    product_name: str
    product_sku: str
    quantity: int
    price: float
    image_url: str | None


class Order(BaseModel):
    id: str
    order_number: str
    status: Status
    total_amount: float
    currency: str
    created_at: str
    updated_at: str
    customer_name: str
    customer_email: str
    customer_phone: str | None
    delivery_address: str | None
    notes: str | None
    items: list[OrderItem]


class OrderList(BaseModel):
    orders: list[Order]
    total: int


class OrderHistory(BaseModel):
    data: OrderList


orders_router = APIRouter(tags=["orders"])


@orders_router.get(
    "/api/bff/mobile/consumer/orders/history",
    response_model=OrderHistory,
    responses={401: {"description": "No token, or a bad one."},
               403: {"description": "The token is another customer's."},
               503: {"description": "No CONSUMER_JWT_* key set, or the database is down."}},
)  # fmt: skip
async def order_history(
    request: Request,
    email: Annotated[str, Depends(token_email)],
    customer_email: Annotated[str, Query(max_length=254, description="Must be the token's.")],
    status: Annotated[Status | None, Query(description="Only orders in this status.")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderHistory:
    """The signed-in customer's orders, newest first: orders not yet in Zoho, and the sales
    orders and invoices Zoho has for them, with their lines."""
    wanted = customer_email.strip().lower()
    if wanted != email:
        raise HTTPException(403, "customer_email is not the signed-in customer's: a customer "
                            "sees only their own orders.")  # fmt: skip
    engine: Engine = request.app.state.engine
    orders = await run_in_threadpool(_history, engine, wanted)
    if status is not None:
        orders = [o for o in orders if o.status == status]
    start = (page - 1) * page_size
    return OrderHistory(data=OrderList(orders=orders[start : start + page_size], total=len(orders)))


def _history(engine: Engine, email: str) -> list[Order]:
    with engine.connect() as conn:
        c = customers.c
        people = {r.zoho_id: r for r in conn.execute(
            select(c.zoho_id, c.name, c.phone)
            .where(func.lower(c.email) == email, c.deleted_at.is_(None)))}  # fmt: skip
        outbox = list(conn.execute(select(tds_outbox).where(
            func.lower(tds_outbox.c.customer_email) == email)).mappings())  # fmt: skip
        ours = {r["zoho_document_id"]: r for r in outbox if r["zoho_document_id"]}
        orders = [_pending(r) for r in outbox if not r["zoho_document_id"]]
        for doc, lines, parent, number in DOCS:
            rows = list(conn.execute(select(doc).where(
                doc.c.deleted_at.is_(None),
                doc.c.customer_zoho_id.in_(list(people)) | doc.c.zoho_id.in_(list(ours)),
            )).mappings())  # fmt: skip
            items = _lines(conn, lines, parent, [r["zoho_id"] for r in rows])
            for r in rows:
                if doc is invoices and (r["raw"] or {}).get("salesorder_id") and \
                        r["zoho_id"] not in ours:  # fmt: skip
                    continue
                orders.append(_document(r, number, items.get(r["zoho_id"], []),
                                        ours.get(r["zoho_id"]), people, email))  # fmt: skip
        _add_images(conn, orders)
    orders.sort(key=lambda o: (o.created_at, o.id), reverse=True)
    return orders


def _lines(conn: Connection, table: Any, parent: str, ids: list[str]) -> dict[str, list]:
    found: dict[str, list] = {}
    if not ids:
        return found
    col = table.c
    for r in conn.execute(select(table).where(col[parent].in_(ids)).order_by(col.id)).mappings():
        found.setdefault(r[parent], []).append(OrderItem(
            product_id=r["product_zoho_id"] or "", product_name=r["name"] or "",
            product_sku=r["sku"] or "", quantity=int(r["quantity"] or 0),
            price=float(r["rate"] or 0), image_url=None))  # fmt: skip
    return found


def _add_images(conn: Connection, orders: list[Order]) -> None:
    """Each line's picture, and the names of pending orders' lines, from the catalogue."""
    ids = {i.product_id for o in orders for i in o.items}
    if not ids:
        return
    cat = consumer_catalog.c
    known = {r.product_zoho_id: r for r in conn.execute(
        select(cat.product_zoho_id, cat.name, cat.sku, cat.image_url)
        .where(cat.product_zoho_id.in_(ids)))}  # fmt: skip
    for item in (i for o in orders for i in o.items):
        row = known.get(item.product_id)
        if row is not None:
            item.image_url = row.image_url
            item.product_name = item.product_name or row.name
            item.product_sku = item.product_sku or row.sku or ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _pending(r: Mapping[str, Any]) -> Order:
    payload = r["payload"] or {}
    customer = payload.get("customer") or {}
    return Order(
        id=str(r["id"]), order_number=f"TDS-{r['id']}",
        status="cancelled" if r["cancelled_at"] or r["status"] == "cancelled" else "pending",
        total_amount=float(r["total_amount"] or 0), currency=r["currency"] or "IQD",
        created_at=_iso(r["created_at"]), updated_at=_iso(r["updated_at"] or r["created_at"]),
        customer_name=str(customer.get("name") or r["customer_email"] or ""),
        customer_email=str(r["customer_email"] or ""), customer_phone=r["customer_phone"],
        delivery_address=payload.get("delivery_address"), notes=payload.get("notes"),
        items=[OrderItem(product_id=str(x.get("product_id")), product_name="", product_sku="",
                         quantity=int(x.get("quantity") or 0), price=float(x.get("price") or 0),
                         image_url=None) for x in _list(payload.get("items"))],
    )  # fmt: skip


def _list(value: Any) -> Iterable[Mapping[str, Any]]:
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def status_of(record: Mapping[str, Any], invoice: bool) -> Status:
    status = str(record.get("status") or "")
    if invoice:
        return INVOICE.get(status, "confirmed")  # type: ignore[return-value]
    shipped = SHIPPED.get(str(record.get("shipped_status") or ""))
    if shipped and status not in ("void", "draft"):
        return shipped  # type: ignore[return-value]
    return SALES_ORDER.get(status, "confirmed")  # type: ignore[return-value]


def _document(
    r: Mapping[str, Any], number: str, items: list[OrderItem], outbox: Mapping[str, Any] | None,
    people: Mapping[str, Any], email: str,
) -> Order:  # fmt: skip
    raw = r["raw"] or {}
    status = status_of({**raw, "status": r["status"]}, number == "invoice_number")
    payload = (outbox or {}).get("payload") or {}
    if outbox is not None and outbox["cancelled_at"]:
        status = "cancelled"
    person = people.get(r["customer_zoho_id"])
    return Order(
        id=str(r["zoho_id"]), order_number=str(r[number] or ""), status=status,
        total_amount=float(r["total"] or 0), currency=r["currency_code"] or "IQD",
        created_at=_iso(r["zoho_created_time"] or r["synced_at"]),
        updated_at=_iso(r["zoho_last_modified_time"] or r["synced_at"]),
        customer_name=str(r["customer_name"] or (person.name if person else "")),
        customer_email=email,
        customer_phone=(outbox or {}).get("customer_phone") or (person.phone if person else None),
        delivery_address=payload.get("delivery_address"),
        notes=payload.get("notes") or raw.get("notes") or None, items=items,
    )  # fmt: skip
