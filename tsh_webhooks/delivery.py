"""From an HTTP request to a verified, parsed delivery, or a 4xx that says what to fix.

The checks run cheapest-and-safest first: the route and event need no body; the size limit
is enforced before and while reading; the signature is checked on the raw bytes before the
body is parsed, so unsigned input never reaches the JSON parser or the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tsh_pipelines.entities import BY_ROUTE, Entity

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
EVENTS = ("created", "edited", "deleted")
MAX_ID_LENGTH = 32  # tds_inbox_events.entity_id
VERSION_FIELD = "last_modified_time"
# Marks the event_id of a delivery without a version (tds_inbox_events.event_id is 64 long).
ID_ONLY_PREFIX = "id-only:"


class Rejected(Exception):  # noqa: N818 - reads as "raise Rejected(...)", like HTTPException
    """A delivery the receiver refuses; `outcome` is the metrics label."""

    def __init__(
        self, status: int, outcome: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.outcome, self.detail = status, outcome, detail
        self.headers = dict(headers or {})

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
    try:
        return BY_ROUTE[route]
    except KeyError:
        raise Rejected(
            404, "invalid",
            f"No webhook route {route!r}. Point the Zoho webhook at /api/zoho/webhooks/<route> "
            f"with one of: {', '.join(sorted(BY_ROUTE))}.",
        ) from None  # fmt: skip


def check_event(event: str) -> str:
    if event not in EVENTS:
        raise Rejected(
            422, "invalid",
            f"Unknown event {event!r}: set the webhook's query parameter event to one of "
            f"{', '.join(EVENTS)} (or leave it out for edited).",
        )  # fmt: skip
    return event


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


def signature_matches(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Constant-time check of the hex HMAC-SHA256 of the raw body against every secret.

    Every secret is tried (no early exit) so the timing does not tell which one matched;
    several secrets let a rotation accept the old and the new secret side by side.
    """
    if not header:
        return False
    given = header.strip().lower().encode()
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def verify(body: bytes, header: str | None, secrets: Sequence[str]) -> None:
    if not secrets:
        raise Rejected(
            401, "unauthorized",
            "The receiver has no webhook secret: ZOHO_WEBHOOK_SECRETS is not set. Set it to the "
            "secret configured on the Zoho webhook and restart the receiver.",
        )  # fmt: skip
    if not signature_matches(body, header, secrets):
        what = "wrong" if header else "missing"
        raise Rejected(
            401, "unauthorized",
            f"The {SIGNATURE_HEADER} header is {what}. It must be the hex HMAC-SHA256 of the "
            "raw body under the webhook's secret; check that the Zoho webhook's secret is one "
            "of ZOHO_WEBHOOK_SECRETS.",
        )  # fmt: skip


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse(body: bytes) -> Any:
    try:
        # NaN/Infinity are Python extensions to JSON that PostgreSQL's jsonb refuses.
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected(
            400, "invalid",
            f"The body is not valid JSON ({exc}). Send the record as a JSON object with "
            "Content-Type: application/json.",
        ) from None  # fmt: skip


def record_id(payload: Any, route: str, entity: Entity) -> str:
    """The Zoho id of the record under the entity's record key, as text."""
    key, id_field = entity.record_key, entity.id_field
    shape = f'{{"{key}": {{"{id_field}": "...", ...}}}}'
    record = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(record, dict):
        found = sorted(payload)[:10] if isinstance(payload, dict) else type(payload).__name__
        raise Rejected(
            422, "invalid",
            f"No {key!r} object in the body (found: {found}). The {route} webhook must send "
            f"{shape}; set the Zoho webhook's payload to the module's default JSON.",
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
        )  # fmt: skip
    return raw.strip()


def record_version(payload: dict[str, Any], entity: Entity) -> str | None:
    """The record's `last_modified_time` as sent, or None for an id-only delivery.

    Zoho's entity-parameter webhooks send only the id (`{"item": {"item_id": "1"}}`): such a
    body is the same bytes for every edit, so it carries no identity of the change.
    """
    raw = payload[entity.record_key].get(VERSION_FIELD)  # record_id checked the record
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def event_id(
    route: str, event: str, entity_id: str, version: str | None, body: bytes = b""
) -> str:
    """The inbox's unique `event_id`: a dedupe key when the record says which version it is.

    With a version, sha256 of route, record id, event, `last_modified_time` and the body: a
    redelivery or a repeat of the same change maps to the same key, a new edit moves the
    version and the key. The body is part of it because Zoho stamps whole seconds: two edits
    within one second share a version, and only their bytes tell them apart. The route is
    part of it because products and stock both carry an `item` and mean different work.
    Without a version two deliveries cannot be told apart from two edits, so each gets a key
    of its own (`ID_ONLY_PREFIX` marks it); `inbox` coalesces it into a still-pending event
    of the same record instead.
    """
    if version is None:
        return ID_ONLY_PREFIX + uuid.uuid4().hex
    digest = hashlib.sha256()
    digest.update(f"{route}\n{entity_id}\n{event}\n{version}\n".encode())
    digest.update(body)
    return digest.hexdigest()
