"""The orders outbox over HTTP, for TSH systems that cannot insert into `tds_outbox` in their
own transaction: `POST /api/tds/orders` stores the order (checked first: a bad one is a 422
naming the field, and nothing is stored), `GET /api/tds/orders/{id}` reads its status,
`POST /api/tds/orders/{id}/cancel` cancels it. They take `Authorization: Bearer
<TSH_ORDERS_TOKEN>`, a service token of their own: the admin token opens none of them, and
the orders token none of the ops endpoints. The ops API (admin token) lists failed orders
and replays them.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select

from tsh_db.schema import tds_outbox
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.validation import OrderRejected, validate
from tsh_webhooks.models import ErrorMessage
from tsh_webhooks.ops import AUTH_ERRORS, Conn, require_admin

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <TSH_ORDERS_TOKEN>")


def require_orders_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    token = request.app.state.settings.orders_token
    if not token:
        raise HTTPException(503, "TSH_ORDERS_TOKEN is not configured on this receiver, so "
                            "/api/tds/orders is off. Set it and restart the receiver.")  # fmt: skip
    given = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(given, token.encode()):
        raise HTTPException(401, "Missing or wrong orders token: send Authorization: Bearer "
                            "<TSH_ORDERS_TOKEN> (the admin token does not open this endpoint).",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


class OrderStatus(BaseModel):
    id: int
    reference_number: str = Field(description="Zoho's reference_number of its documents.")
    kind: str
    external_id: str | None
    status: str = Field(description="pending, processing, synced, failed or cancelled")
    zoho_document_type: str | None
    zoho_document_id: str | None
    zoho_document_number: str | None
    zoho_payment_id: str | None
    customer_zoho_id: str | None
    total_amount: Decimal | None
    currency: str | None
    error_code: int | None
    error_message: str | None
    attempts: int
    zoho_calls: int
    created_at: datetime
    synced_at: datetime | None
    cancelled_at: datetime | None
    voided_at: datetime | None


class FailedOrders(BaseModel):
    counts: dict[str, int] = Field(description="Outbox rows by status.")
    failed: list[OrderStatus] = Field(description="Failed rows, newest first.")


class OutboxReplay(BaseModel):
    ids: list[int] = Field(min_length=1, description="Ids of failed outbox rows.")


class OutboxReplayed(BaseModel):
    replayed: int


def status_of(row: Mapping[str, Any]) -> OrderStatus:
    fields = {k: row[k] for k in OrderStatus.model_fields if k in row}
    return OrderStatus(**fields, reference_number=store.reference(int(row["id"])))


TOKEN_ERRORS = {
    401: {"model": ErrorMessage, "description": "Missing or wrong orders token."},
    503: {"model": ErrorMessage, "description": "No TSH_ORDERS_TOKEN, or database down."},
}
NOT_FOUND = {404: {"model": ErrorMessage, "description": "No outbox row with this id."}}
orders_router = APIRouter(tags=["orders"], dependencies=[Depends(require_orders_token)])
outbox_router = APIRouter(tags=["operations"], dependencies=[Depends(require_admin)])
OrderId = Annotated[int, Path(ge=1, description="The outbox id the POST answered.")]


@orders_router.post(
    "/api/tds/orders",
    status_code=201,
    response_model=OrderStatus,
    responses={**TOKEN_ERRORS, 200: {"model": OrderStatus, "description": "A repeat of an "
               "order already stored (same kind and external_id): that order."},
               409: {"model": ErrorMessage, "description": "external_id already used by "
               "another order."}, 422: {"model": ErrorMessage, "description": "A bad order; "
               "`field` names where. Nothing was stored."}},
)  # fmt: skip
def post_order(request: Request, payload: Annotated[Any, Body()]) -> JSONResponse:
    """Store an order for Zoho: a consumer order (`kind: consumer_order`, a sales order) or a
    POS sale (`pos_sale`, an invoice with its payment). Answers once the row is committed,
    with its id; the push sends it to Zoho within seconds, exactly once."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            order = validate(conn, payload)
    except OrderRejected as exc:
        return _refused(exc.field, exc.message)
    row, created = store.insert(engine, order, payload)
    if not created and row["payload"] != payload:
        raise HTTPException(
            409,
            f"external_id {order.external_id!r} is already order "
            f"{row['id']} with other contents: give this order its own id.",
        )
    body = status_of(row).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


def _refused(field: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": f"{field}: {message}", "field": field}, status_code=422)


def _row(conn: Conn, outbox_id: int) -> Mapping[str, Any]:
    row = conn.execute(select(tds_outbox).where(tds_outbox.c.id == outbox_id)).mappings().first()
    if row is None:
        raise HTTPException(404, f"No order {outbox_id} in the outbox: use the id the POST "
                            "answered.")  # fmt: skip
    return row


@orders_router.get(
    "/api/tds/orders/{outbox_id}",
    response_model=OrderStatus,
    responses={**TOKEN_ERRORS, **NOT_FOUND},
)
def get_order(outbox_id: OrderId, conn: Conn) -> OrderStatus:
    """Where the order stands: its status, the Zoho records it became, Zoho's error."""
    return status_of(_row(conn, outbox_id))


@orders_router.post(
    "/api/tds/orders/{outbox_id}/cancel",
    response_model=OrderStatus,
    responses={**TOKEN_ERRORS, **NOT_FOUND},
)
def cancel_order(request: Request, outbox_id: OrderId) -> OrderStatus:
    """Cancel the order: one not yet sent is never sent; one Zoho has is voided there."""
    row = store.cancel(request.app.state.engine, outbox_id)
    if row is None:
        raise HTTPException(404, f"No order {outbox_id} in the outbox.")
    return status_of(row)


@outbox_router.get("/api/tds/outbox", response_model=FailedOrders, responses=AUTH_ERRORS)
def failed_orders(
    conn: Conn,
    limit: Annotated[int, Query(ge=1, le=500, description="How many failed rows.")] = 50,
) -> FailedOrders:
    """Outbox rows by status, and the failed ones with Zoho's code and message (or the
    validation's): fix the cause, then replay them."""
    return FailedOrders(counts=store.counts(conn),
                        failed=[status_of(r) for r in store.failed_rows(conn, limit)])  # fmt: skip


@outbox_router.post("/api/tds/outbox/replay", response_model=OutboxReplayed, responses=AUTH_ERRORS)
def replay_orders(request: Request, body: OutboxReplay) -> OutboxReplayed:
    """Failed rows back to pending with fresh attempts; the push resumes each from the step
    it had reached (what Zoho already has is never sent again)."""
    return OutboxReplayed(replayed=store.replay(request.app.state.engine, body.ids))
