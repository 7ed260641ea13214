"""POST /api/zoho/webhooks/{route}: verify, dedupe, store, and only then acknowledge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_ROUTE
from tsh_webhooks import delivery, inbox
from tsh_webhooks.delivery import SIGNATURE_HEADER, Delivery, Rejected
from tsh_webhooks.models import DeliveryResult, ErrorMessage
from tsh_webhooks.settings import Settings

router = APIRouter(tags=["webhooks"])

ROUTES_DOC = ", ".join(f"`{r}` (`{e.record_key}`)" for r, e in sorted(BY_ROUTE.items()))
_ERRORS = {
    400: "The body is not valid JSON.",
    401: f"{SIGNATURE_HEADER} missing or wrong, or no secret configured.",
    404: "No such route.",
    413: "The body exceeds WEBHOOK_MAX_BODY_BYTES.",
    422: "Unknown event, or no record or id under the record key.",
    503: "The database is unavailable; nothing was stored. Retry after Retry-After seconds.",
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": DeliveryResult,
        "description": "Nothing new stored: a duplicate of a stored version, or an id-only "
        "delivery coalesced into a pending event of the same record.",
    },
    **{code: {"model": ErrorMessage, "description": text} for code, text in _ERRORS.items()},
}
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": {"type": "object"}},
            "example": {"item": {"item_id": "4815000000000000001", "name": "Ceiling fan"}},
        }
    },
}


@router.post(
    "/api/zoho/webhooks/{route}",
    status_code=202,
    response_model=DeliveryResult,
    responses=RESPONSES,
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Receive a Zoho webhook delivery",
    description=(
        'The body is the module\'s default JSON payload, `{"<record_key>": {...}}`; routes '
        f"and record keys: {ROUTES_DOC}. `{SIGNATURE_HEADER}` must be the hex HMAC-SHA256 of "
        "the raw body under one of `ZOHO_WEBHOOK_SECRETS`. Answers 202 only once the inbox "
        "and queue rows are committed. A delivery whose record carries `last_modified_time` "
        "is a repeat only of one with the same route, id, event and `last_modified_time`: "
        "200 `duplicate`. An id-only delivery (no `last_modified_time`) joins an event of the "
        "same record that is still pending, 200 `coalesced`, and otherwise is stored: it is "
        "never dropped."
    ),
)
async def receive(
    request: Request,
    route: Annotated[str, Path(description="Which entity the webhook is for.")],
    event: Annotated[str, Query(description="created, edited or deleted.")] = "edited",
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    try:
        received = await _read(request, route, event, settings)
        # The sync engine blocks; the threadpool keeps the event loop free meanwhile.
        result = await run_in_threadpool(
            inbox.store, request.app.state.engine, received, settings.retry_after_seconds
        )
    except Rejected as rejected:
        request.app.state.metrics.count(route, rejected.outcome)
        return rejected.response()
    request.app.state.metrics.count(route, result.status)
    return JSONResponse(result.model_dump(), status_code=202 if result.status == "queued" else 200)


async def _read(request: Request, route: str, event: str, settings: Settings) -> Delivery:
    received_at = utcnow()
    entity = delivery.entity_for(route)
    delivery.check_event(event)
    body = await delivery.read_body(request, settings.max_body_bytes)
    delivery.verify(body, request.headers.get(SIGNATURE_HEADER), settings.webhook_secrets)
    payload = delivery.parse(body)
    entity_id = delivery.record_id(payload, route, entity)
    version = delivery.record_version(payload, entity)
    return Delivery(
        route=route,
        entity=entity,
        event=event,
        event_id=delivery.event_id(route, event, entity_id, version, body),
        entity_id=entity_id,
        version=version,
        payload=payload,
        received_at=received_at,
    )
