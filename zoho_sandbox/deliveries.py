"""One delivery as a Zoho webhook configured in its form sends it: method, query, body, signature.

Signing follows the facts file: HMAC-SHA256 under the secret of every query parameter and
form field sorted by key, each key immediately followed by its (decoded) value, with the raw
JSON body appended; hex. `signing="raw"` signs the raw body alone, as this sandbox used to
(kept for receivers' variant tests). Bodies: `json` (`{"<record_key>": {...}}`), `jsonstring`
(a form with `JSONString=<json>`) or `fields` (the record's scalar fields as a form, Zoho's
entity parameters); `id_only` keeps just the id; `partial` keeps the id, `last_modified_time`
and a few fields, as a workflow rule with a custom body sends (never the whole record). The
event is a query parameter `event` or an `X-ZOHO-Event` header (`item.edited`);
`route=<route>` and any extra parameters follow it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qsl, urlencode

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
EVENT_HEADER = "X-ZOHO-Event"
BODY_TYPES = ("json", "jsonstring", "fields")
# The names this sandbox used before it had body types: still accepted.
LEGACY_BODIES = {"full": ("json", False), "id_only": ("json", True)}
BODIES = (*BODY_TYPES, *LEGACY_BODIES)
METHODS = ("POST", "PUT", "DELETE")
SIGNINGS = ("zoho", "raw")
EVENT_IN = ("query", "header")
JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    method: str
    query: Pairs
    body: bytes
    headers: dict[str, str]

    def url(self, base: str) -> str:
        return f"{base}?{urlencode(self.query)}" if self.query else base


def parse_params(value: Any) -> str:
    """Extra query parameters, from `{"k": "v"}` or `"k=v&k2=v2"`, as a query string."""
    if isinstance(value, dict):
        return urlencode([(str(k), str(v)) for k, v in value.items()])
    if not isinstance(value, str):
        raise ValueError("params must be an object or a query string")
    return urlencode(parse_qsl(value, keep_blank_values=True, strict_parsing=bool(value)))


def signing_string(query: Pairs, form: Pairs, json_body: bytes) -> bytes:
    pairs = sorted([*query, *form], key=itemgetter(0))
    return "".join(k + v for k, v in pairs).encode() + json_body


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int | float) else None


# records whose id is not `<record_key>_id`
ID_KEYS = {"vendorpayment": "payment_id", "chart_of_account": "account_id"}
# what a custom body holds without `partial_fields`: the record's name or number and status
PARTIAL_DEFAULT = ("name", "contact_name", "{key}_number", "payment_number", "status")


def partial_record(
    record_key: str, record: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, Any]:
    """The id, `last_modified_time` and `fields` (default: name or number, status), in the
    record's own key order; a field the record lacks is left out."""
    wanted = fields or tuple(f.format(key=record_key) for f in PARTIAL_DEFAULT)
    keep = {ID_KEYS.get(record_key, f"{record_key}_id"), "last_modified_time", *wanted}
    return {k: v for k, v in record.items() if k in keep}


def _body(kind: str, record_key: str, record: dict[str, Any]) -> tuple[bytes, Pairs, str]:
    """(raw body, its form fields, content type)."""
    text = json.dumps({record_key: record}, ensure_ascii=False, separators=(",", ":"))
    if kind == "json":
        return text.encode(), [], JSON_TYPE
    if kind == "jsonstring":
        form = [("JSONString", text)]
    else:  # entity parameters: the record's top-level scalar fields
        form = [(k, s) for k, v in record.items() if (s := _scalar(v)) is not None]
    return urlencode(form).encode(), form, FORM_TYPE


def build(
    policy: Any, route: str, event: str, record_key: str, record: dict[str, Any],
    secret: str | None,
) -> Request:  # fmt: skip
    """`policy` is the sender's DeliveryPolicy (body, id_only, method, signing, event_in,
    route_param, params, partial, partial_fields)."""
    if policy.id_only:
        id_key = ID_KEYS.get(record_key, f"{record_key}_id")
        record = {id_key: record.get(id_key)}  # the id keeps its type: text or number
    elif policy.partial:
        record = partial_record(record_key, record, policy.partial_fields)
    raw, form, content_type = _body(policy.body, record_key, record)
    query: Pairs = []
    headers = {"Content-Type": content_type}
    if policy.event_in == "query":
        query.append(("event", event))
    else:
        headers[EVENT_HEADER] = f"{record_key}.{event}"
    if policy.route_param:
        query.append(("route", route))
    query += parse_qsl(policy.params, keep_blank_values=True)
    if secret:
        signed = (
            raw if policy.signing == "raw"
            else signing_string(query, form, raw if policy.body == "json" else b"")
        )  # fmt: skip
        headers[SIGNATURE_HEADER] = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return Request(policy.method, query, raw, headers)


def _choice(body: dict[str, Any], key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = str(body.get(key, default))
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}")
    return value


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return value


def _partial(value: Any) -> tuple[bool, tuple[str, ...]]:
    """`partial`: true/false, or the fields to keep (a list or a comma-separated string)."""
    if isinstance(value, bool):
        return value, ()
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValueError("partial must be true, false or a list of field names")
    fields = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    return bool(fields), fields


def shape(body: dict[str, Any]) -> dict[str, Any]:
    """The DeliveryPolicy fields that shape a delivery, checked; ValueError says what is off.
    A legacy body (`full`, `id_only`) is a json body, id-only or not."""
    kind = _choice(body, "body", "json", BODIES)
    kind, legacy_id_only = LEGACY_BODIES.get(kind, (kind, False))
    try:
        params = parse_params(body.get("params", ""))
    except ValueError as exc:
        raise ValueError(f"params: {exc}") from None
    id_only = _flag(body, "id_only", False) or legacy_id_only
    partial, partial_fields = _partial(body.get("partial", False))
    if id_only and partial:
        raise ValueError("id_only and partial exclude each other")
    return {
        "body": kind,
        "id_only": id_only,
        "partial": partial,
        "partial_fields": partial_fields,
        "method": _choice(body, "method", "POST", METHODS),
        "signing": _choice(body, "signing", "zoho", SIGNINGS),
        "event_in": _choice(body, "event_in", "query", EVENT_IN),
        "route_param": _flag(body, "route_param", True),
        "params": params,
    }
