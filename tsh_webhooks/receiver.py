"""POST /api/zoho/webhooks/{route}: verify, dedupe, store, and only then acknowledge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from tsh_db.types import utcnow
from tsh_pipelines.entities import ROUTE_ENTITIES
from tsh_webhooks import bodies, delivery, inbox, signature
from tsh_webhooks.delivery import EVENT_HEADER, Delivery, Rejected
from tsh_webhooks.models import DeliveryResult, ErrorMessage
from tsh_webhooks.rejections import Attempt
from tsh_webhooks.settings import Settings
from tsh_webhooks.signature import SIGNATURE_HEADER

router = APIRouter(tags=["webhooks"])

ROUTES_DOC = ", ".join(
    f"`{r}` ({' or '.join(f'`{e.record_key}`' for e in es)})"
    for r, es in sorted(ROUTE_ENTITIES.items())
)
_ERRORS = {
    400: "The body is neither JSON nor a form, or not valid JSON.",
    401: f"{SIGNATURE_HEADER} missing or wrong, the route or event not covered by it, or no "
    "secret configured.",
    404: "No such route.",
    413: "The body exceeds WEBHOOK_MAX_BODY_BYTES.",
    422: "Unknown event, or no record or id under the record key.",
    503: "The database is unavailable; nothing was stored. Retry after Retry-After seconds.",
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": DeliveryResult,
        "description": "Nothing new stored: a repeat of the record's latest delivery, or an "
        "id-only delivery coalesced into a pending event of the same record.",
    },
    **{code: {"model": ErrorMessage, "description": text} for code, text in _ERRORS.items()},
}
_FORM = {"type": "object", "additionalProperties": {"type": "string"}}
REQUEST_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "example": {"item": {"item_id": "4815000000000000001", "name": "Ceiling fan"}},
        },
        "application/x-www-form-urlencoded": {
            "schema": _FORM,
            "example": {"JSONString": '{"item": {"item_id": "4815000000000000001"}}'},
        },
    },
}
PARAMETERS = [
    {"name": "event", "in": "query", "schema": {"type": "string", "enum": list(delivery.EVENTS)},
     "description": "created, edited or deleted. Without it: X-ZOHO-Event, else the method."},
    {"name": "route", "in": "query", "schema": {"type": "string"},
     "description": "The route again, so that the signature covers it; needed on products and "
     "stock (both send an `item`), inventory-adjustments and stock (both take an "
     "`inventory_adjustment`), and for bare records or entity parameters."},
    {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Hex or base64 HMAC-SHA256 (see the description)."},
    {"name": EVENT_HEADER, "in": "header", "schema": {"type": "string"},
     "description": "e.g. `item.deleted`; used only when the query has no event."},
]  # fmt: skip


ROUTE_OPTIONS: dict[str, Any] = dict(
    status_code=202,
    response_model=DeliveryResult,
    responses=RESPONSES,
    openapi_extra={"requestBody": REQUEST_BODY, "parameters": PARAMETERS},
    summary="Receive a Zoho webhook delivery",
    description=(
        "The body, whatever Content-Type says: the module's default JSON payload `{\"<record_"
        'key>": {...}}`, a bare record, a form with `JSONString=<json>`, or entity parameters '
        f"as form fields (`item_id=…`). Routes and record keys: {ROUTES_DOC}. "
        f"`{SIGNATURE_HEADER}` is HMAC-SHA256 under one of `ZOHO_WEBHOOK_SECRETS` of the "
        "query parameters and form fields sorted by key, each key followed by its URL-decoded "
        "value, then the raw JSON body (Zoho Finance's scheme), hex or base64; the HMAC of "
        "the raw body alone is accepted only when the query has neither `event` nor `route`. "
        "The route must be covered too: by a signed `route` parameter, or by a JSON record key "
        "no other route takes. Answers 202 only once the inbox and queue rows are committed. "
        "A delivery whose record carries `last_modified_time` is a repeat only of the record's "
        "latest delivery with the same route, event, `last_modified_time` and bytes: 200 "
        "`duplicate` (A -> B -> A is three events). An id-only delivery "
        "joins an event of the same record that is still pending, 200 `coalesced`, and "
        "otherwise is stored: it is never dropped. Refusals are listed by "
        "`GET /api/zoho/webhooks/rejections`."
    ),
)


async def receive(
    request: Request,
    route: Annotated[str, Path(description="Which entity the webhook is for.")],
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    attempt = Attempt(request.method, route, request.headers.get("content-type"), [])
    try:
        received = await _read(request, route, settings, attempt)
        # The sync engine blocks; the threadpool keeps the event loop free meanwhile.
        result = await run_in_threadpool(
            inbox.store, request.app.state.engine, received, settings.retry_after_seconds
        )
    except Rejected as rejected:
        request.app.state.rejections.add(attempt, rejected)
        request.app.state.metrics.count(route, rejected.outcome)
        return rejected.response()
    request.app.state.metrics.count(route, result.status)
    return JSONResponse(result.model_dump(), status_code=202 if result.status == "queued" else 200)


# One route per method: Zoho's webhook form offers POST, PUT and DELETE.
for _method in ("POST", "PUT", "DELETE"):
    router.add_api_route(
        "/api/zoho/webhooks/{route}", receive, methods=[_method],
        operation_id=f"receive_webhook_{_method.lower()}", **ROUTE_OPTIONS,
    )  # fmt: skip


async def _read(request: Request, route: str, settings: Settings, attempt: Attempt) -> Delivery:
    received_at = utcnow()
    entities = delivery.entities_for(route)
    # The raw query string: building request.url for it costs more than the whole parse.
    query = delivery.query_pairs(request.scope["query_string"].decode("latin-1"))
    attempt.query_parameters = [key for key, _ in query]
    signed = delivery.acted_on(query)
    declared = request.headers.get("content-length", "")
    attempt.body_bytes = int(declared) if declared.isdigit() else None
    raw = await delivery.read_body(request, settings.max_body_bytes)
    attempt.body_bytes = len(raw)
    body = bodies.split(raw)
    attempt.body_type = body.kind
    signature.verify(
        request.app.state.verifier, request.headers.get(SIGNATURE_HEADER), query, body.form,
        body.signed_json, raw, list(signed), attempt.check,
    )  # fmt: skip
    # Only now, signed, is the body parsed and are the query parameters believed.
    entity, payload, names_key = bodies.payload_for(body, entities)
    entity_id = delivery.record_id(payload, route, entity)
    delivery.check_route(route, entity, signed, names_key)
    event, _ = delivery.resolve_event(
        signed, request.headers.get(EVENT_HEADER), request.method, entity
    )
    version = delivery.record_version(payload, entity)
    return Delivery(
        route=route,
        entity=entity,
        event=event,
        event_id=delivery.event_id(route, event, entity_id, version, raw),
        entity_id=entity_id,
        version=version,
        payload=payload,
        received_at=received_at,
    )
