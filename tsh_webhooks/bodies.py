"""Every body Zoho may send, whatever `Content-Type` says.

- `json`: the module's default payload `{"<record_key>": {...}}`, or a bare record;
- `jsonstring`: a form with the JSON in the field `JSONString` (older Books integrations);
- `fields`: plain form fields, Zoho's entity parameters (`item_id=…&name=…`).

Other Zoho Finance products send `application/x-www-form-urlencoded` over JSON bodies, so the
body is sniffed: JSON when it starts with `{` or `[`, otherwise a form. The split happens on
the raw bytes before the signature is checked (form fields are part of the signed string);
only a verified body is parsed into a record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tsh_pipelines.entities import Entity
from tsh_webhooks.delivery import ENTITY_PARAMETERS, Rejected

JSON, JSONSTRING, FIELDS = "json", "jsonstring", "fields"
JSONSTRING_FIELD = "JSONString"


@dataclass(frozen=True)
class Body:
    kind: str  # json | jsonstring | fields
    form: list[tuple[str, str]]  # form fields, URL-decoded; signed with the query
    raw: bytes

    @property
    def signed_json(self) -> bytes:
        """What Zoho appends to the signed string: the raw JSON body, nothing for a form."""
        return self.raw if self.kind == JSON else b""


def split(raw: bytes) -> Body:
    if raw.lstrip()[:1] in (b"{", b"["):
        return Body(JSON, [], raw)
    try:
        form = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw.strip()),
                         errors="strict")  # fmt: skip
    except (UnicodeDecodeError, ValueError):
        raise Rejected(
            400, "invalid",
            "The body is neither JSON nor an x-www-form-urlencoded form in UTF-8. Set the Zoho "
            "webhook's body to the module's default payload, JSONString or entity parameters.",
        ) from None  # fmt: skip
    kind = JSONSTRING if any(key == JSONSTRING_FIELD for key, _ in form) else FIELDS
    return Body(kind, form, raw)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: bytes | str, where: str = "The body") -> Any:
    try:
        # NaN/Infinity are Python extensions to JSON that PostgreSQL's jsonb refuses.
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected(
            400, "invalid",
            f"{where} is not valid JSON ({exc}). Send the record as a JSON object, e.g. the "
            "module's default payload.",
            reason=f"{where} is not valid JSON",
        ) from None  # fmt: skip


def payload(body: Body, record_key: str, id_field: str) -> tuple[Any, bool]:
    """(the payload to store, whether it names its record key). The payload keeps the record
    under `record_key` as the event handlers read it."""
    return _shaped(body, _parsed(body), record_key, id_field)


def payload_for(body: Body, entities: Sequence[Entity]) -> tuple[Entity, Any, bool]:
    """(the entity, its payload, whether the body names its record key) on a route that takes
    `entities` (its own first): the first whose record key the body carries, else whose id
    field it carries (a bare record, entity parameters), else the route's own. The `stock`
    route takes an `item` and, as TSH's Zoho sends it, an `inventory_adjustment`."""
    value = _parsed(body)
    record = isinstance(value, dict) and value  # a JSON object, or the form's fields
    chosen = next((e for e in entities if record and isinstance(record.get(e.record_key), dict)),
                  None) or next((e for e in entities if record and e.id_field in record),
                                entities[0])  # fmt: skip
    return chosen, *_shaped(body, value, chosen.record_key, chosen.id_field)


def _parsed(body: Body) -> Any:
    """The JSON value of a JSON or JSONString body; the fields of a form of fields."""
    if body.kind == FIELDS:
        return dict(body.form)  # a repeated field: the last one counts, as in most servers
    if body.kind == JSONSTRING:
        return parse_json(dict(body.form)[JSONSTRING_FIELD], f"The {JSONSTRING_FIELD} field")
    return parse_json(body.raw)


def _shaped(body: Body, value: Any, record_key: str, id_field: str) -> tuple[Any, bool]:
    if body.kind == FIELDS:
        fields = value
        record = {id_field: fields[id_field]} if id_field in fields else {}
        # Only the id: a handful of chosen fields is not the record, so the event fetches it
        # by id when applied instead of writing the fields over the stored row.
        return {record_key: record, ENTITY_PARAMETERS: fields}, False
    if isinstance(value, dict) and isinstance(value.get(record_key), dict):
        return value, True
    if isinstance(value, dict) and id_field in value:  # a bare record
        return {record_key: value}, False
    return value, False
