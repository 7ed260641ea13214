"""From an HTTP request to a verified, parsed delivery, or a 4xx that says what to fix.

The checks run cheapest-and-safest first: the route and the query need no body; the size
limit is enforced before and while reading; the signature is checked on the raw bytes
before any JSON is parsed, so unsigned input never reaches the JSON parser or the database.

What a signature must cover: every query parameter the receiver acts on (`ACTED_ON`) and
the route. Zoho signs the query but not the path, so the route is covered either by a signed
`route` parameter equal to the path's route, or by a JSON body whose record key only that
route takes (`{"invoice": …}` can only be an invoice), or that is one entity on every route
taking it: inventory-adjustments and stock both take an `inventory_adjustment` (TSH's Zoho
sends its Inventory Adjustments rule to `stock`, unchanged), stored as an adjustment either
way, so a replay across the two does the same work. Products and stock both carry an `item`
but mean a record and its stock; and a bare record or entity parameters name their record
only by an id field that other records carry too (a credit note has an `invoice_id`): those
need `route`. A captured delivery replayed with another event or on another route is
therefore refused. A route that takes several record keys (`stock`) stores each delivery as
the entity whose record the body carries.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse

from tsh_pipelines.entities import BY_ROUTE, ROUTE_ENTITIES, Entity

EVENTS = ("created", "edited", "deleted")
ACTED_ON = ("event", "route")
EVENT_HEADER = "X-ZOHO-Event"  # Zoho Commerce's, e.g. salesorder.delivered
# Header verbs that are not an edit; anything else (updated, delivered, paid…) is an edit.
HEADER_VERBS = {"created": "created", "create": "created", "added": "created",
                "deleted": "deleted", "delete": "deleted", "removed": "deleted"}  # fmt: skip
MAX_ID_LENGTH = 32  # tds_inbox_events.entity_id
VERSION_FIELD = "last_modified_time"
# Marks the event_id of a delivery without a version (tds_inbox_events.event_id is 64 long).
ID_ONLY_PREFIX = "id-only:"
# A versioned event_id is the first half of its content key, then its predecessor marker.
CONTENT_CHARS = 32
# Where an entity-parameter (form fields) body keeps its fields beside the id.
ENTITY_PARAMETERS = "entity_parameters"
# The Zoho modules each record key is stored from, over every route that takes it: a key that
# is one module wherever it goes covers its routes (a replay on another of them stores the
# same event, which applies the same way: a contact is a customer or a vendor by its
# contact_type, whichever route it came on).
ENTITIES_BY_KEY: dict[str, set[tuple[str, str]]] = {}
for _entities in ROUTE_ENTITIES.values():
    for _e in _entities:
        ENTITIES_BY_KEY.setdefault(_e.record_key, set()).add((_e.api, _e.path))


class Rejected(Exception):  # noqa: N818 - reads as "raise Rejected(...)", like HTTPException
    """A delivery the receiver refuses; `outcome` is the metrics label.

    `reason` is what the rejections list keeps: like `detail` but never quoting the body.
    """

    def __init__(
        self, status: int, outcome: str, detail: str, headers: Mapping[str, str] | None = None,
        reason: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(detail)
        self.status, self.outcome, self.detail = status, outcome, detail
        self.headers = dict(headers or {})
        self.reason = reason or detail

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail}, self.status, headers=self.headers)


@dataclass(frozen=True)
class Delivery:
    route: str
    entity: Entity
    event: str
    event_id: str
    entity_id: str
    version: str | None  # the record's last_modified_time; None for an id-only delivery
    payload: dict[str, Any]
    received_at: datetime


def entity_for(route: str) -> Entity:
    """The route's own entity."""
    return entities_for(route)[0]


def entities_for(route: str) -> tuple[Entity, ...]:
    """Every entity the route takes, its own first (`stock` also takes inventory adjustments:
    the body's record key decides)."""
    try:
        return ROUTE_ENTITIES[route]
    except KeyError:
        raise Rejected(
            404, "invalid",
            f"No webhook route {route!r}. Point the Zoho webhook at /api/zoho/webhooks/<route> "
            f"with one of: {', '.join(sorted(BY_ROUTE))}.",
        ) from None  # fmt: skip


def query_pairs(query: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Rejected(400, "invalid", "The query string is not URL-encoded UTF-8.") from None


def acted_on(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The query parameters the receiver acts on, each at most once, `event` known."""
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in ACTED_ON:
            if key in found:
                raise Rejected(
                    422, "invalid",
                    f"The query parameter {key} is given more than once; give it once.",
                )  # fmt: skip
            found[key] = value
    event = found.get("event")
    if event is not None and event not in EVENTS:
        raise Rejected(
            422, "invalid",
            f"Unknown event {event!r:.40}: set the webhook's query parameter event to one of "
            f"{', '.join(EVENTS)} (or leave it out: then {EVENT_HEADER} or the method decides).",
        )  # fmt: skip
    return found


def resolve_event(
    signed: Mapping[str, str], header: str | None, method: str, entity: Entity
) -> tuple[str, str]:
    """(event, where it came from): the signed `event` parameter, else an `X-ZOHO-Event`
    header (`invoice.deleted`), else the method (DELETE is a delete)."""
    if "event" in signed:
        return signed["event"], "query"
    if header and header.strip():
        kind, _, verb = header.strip().lower().rpartition(".")
        if kind and kind != entity.record_key:
            raise Rejected(
                422, "invalid",
                f"{EVENT_HEADER} {header.strip()!r:.60} is about {kind!r:.40} records; this "
                f"route takes {entity.record_key!r}. Point the webhook at the right route.",
            )  # fmt: skip
        return HEADER_VERBS.get(verb, "edited"), "header"
    return ("deleted" if method == "DELETE" else "edited"), "method"


def check_route(route: str, entity: Entity, signed: Mapping[str, str], names_key: bool) -> None:
    """The signature must cover the route: see the module docstring."""
    if "route" in signed:
        if signed["route"] != route:
            raise Rejected(
                401, "unauthorized",
                f"This delivery is signed for route {signed['route']!r:.40}, not {route!r}: a "
                "delivery is accepted only on the route it was signed for.",
            )  # fmt: skip
        return
    if names_key and len(ENTITIES_BY_KEY[entity.record_key]) == 1:
        return
    shared = [r for r, es in sorted(ROUTE_ENTITIES.items())
              if any(e.record_key == entity.record_key for e in es)]  # fmt: skip
    why = (
        f"records under {entity.record_key!r} go to {' and '.join(shared)}"
        if names_key
        else "a bare record or entity parameters name their record only by an id field"
    )
    raise Rejected(
        401, "unauthorized",
        f"The signature does not cover the route: {why}. Add the query parameter "
        f"route={route} to the Zoho webhook, next to event.",
    )  # fmt: skip


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed `limit` bytes."""
    too_large = Rejected(
        413, "too_large",
        f"The body is larger than {limit} bytes. Send one record per delivery, or raise "
        "WEBHOOK_MAX_BODY_BYTES on the receiver if records really are this large.",
    )  # fmt: skip
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    # Content-Length may be absent (chunked) or lie: count the bytes actually received.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def record_id(payload: Any, route: str, entity: Entity) -> str:
    """The Zoho id of the record under the entity's record key, as text."""
    key, id_field = entity.record_key, entity.id_field
    shape = f'{{"{key}": {{"{id_field}": "...", ...}}}}'
    record = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(record, dict):
        found = sorted(payload)[:10] if isinstance(payload, dict) else type(payload).__name__
        others = [e.record_key for e in ROUTE_ENTITIES.get(route, ()) if e.record_key != key]
        also = f" (or {' or '.join(repr(k) for k in others)})" if others else ""
        raise Rejected(
            422, "invalid",
            f"No {key!r}{also} object in the body (found: {found}). The {route} webhook must "
            f"send {shape}, a bare record with {id_field!r}, or {id_field} as a form field; set "
            "the Zoho webhook's payload to the module's default JSON.",
            reason=f"no {key!r}{also} record in the body",
        )  # fmt: skip
    raw = record.get(id_field)
    # Zoho ids come as strings or as numbers past 2^53; json keeps big integers exact.
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > MAX_ID_LENGTH:
        raise Rejected(
            422, "invalid",
            f"The {key!r} record has no usable {id_field!r} (got {raw!r:.60}). It must be the "
            f"Zoho id as a string or whole number of at most {MAX_ID_LENGTH} characters: "
            f"{shape}.",
            reason=f"the {key!r} record has no usable {id_field!r}",
        )  # fmt: skip
    return raw.strip()


def record_version(payload: dict[str, Any], entity: Entity) -> str | None:
    """The record's `last_modified_time` as sent, or None for an id-only delivery.

    Zoho's entity-parameter webhooks send only the id (`{"item": {"item_id": "1"}}`): such a
    body is the same bytes for every edit, so it carries no identity of the change. Entity
    parameters kept beside the id may carry the time: it still tells repeats apart.
    """
    raw = payload[entity.record_key].get(VERSION_FIELD)  # record_id checked the record
    if raw is None and isinstance(payload.get(ENTITY_PARAMETERS), dict):
        raw = payload[ENTITY_PARAMETERS].get(VERSION_FIELD)
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def event_id(route: str, event: str, entity_id: str, version: str | None, body: bytes = b"") -> str:
    """What the delivery says: the content key `inbox` chains into the stored `event_id`.

    With a version, sha256 of route, record id, event, `last_modified_time` and the body: a
    redelivery or a repeat of the same change maps to the same key. The body is part of it
    because Zoho stamps whole seconds, and stock moves or rate edits may not move the time at
    all: only the bytes tell such edits apart. The route is part of it because products and
    stock both carry an `item` and mean different work. Without a version two deliveries
    cannot be told apart from two edits, so each gets a key of its own (`ID_ONLY_PREFIX`
    marks it); `inbox` coalesces it into a still-pending event of the same record instead.
    """
    if version is None:
        return ID_ONLY_PREFIX + uuid.uuid4().hex
    digest = hashlib.sha256()
    digest.update(f"{route}\n{entity_id}\n{event}\n{version}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def content_part(key: str) -> str:
    """The part of a stored `event_id` that says which change it holds (see `chained`)."""
    return key[:CONTENT_CHARS]


def chained(content_key: str, previous: str | None) -> str:
    """The stored `event_id` of a versioned delivery: its content, then the record's
    previous delivery.

    Identical bytes are a repeat only when no other delivery of the record came in between:
    A, B, A (a stock move and its reversal, the time unchanged) is three changes, and the
    third A must be applied after B. So the key is the content key's first half followed by
    a digest of the `event_id` of the record's latest delivery before it (none: the empty
    string). Racing copies see the same latest delivery, so they compute one key and the
    unique index keeps one; the A after B sees B, so it gets a key of its own. Rows stored
    before this scheme held the whole content key: their first half still compares equal.
    md5 is a chaining digest of our own stored ids here, not a security boundary (the body
    was verified by HMAC); it gives the 32 hex characters the column has room for.
    PostgreSQL computes the same thing in `inbox._PG_STORE` (`md5(text)` of ASCII ids).
    """
    marker = hashlib.md5((previous or "").encode(), usedforsecurity=False).hexdigest()
    return content_part(content_key) + marker
