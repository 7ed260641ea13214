"""Zoho records → table rows, driven by the registry's field map and the table's column types.

Real Zoho data is untidy: numbers arrive as "" or "5%", ids as numbers above 2^53 or as
strings, dates bare or with offsets. Coercion is decided by the target column's type, so a
new entity needs a field map, not new parsing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, Numeric, String, Table

from tsh_db.types import UTCDateTime
from tsh_pipelines.entities import LINE_ITEM_FIELDS, Entity
from tsh_pipelines.zoho.timefmt import parse_zoho_date, parse_zoho_time


def dig(record: Mapping[str, Any], path: str) -> Any:
    """`custom_field_hash.cf_image_url` → record["custom_field_hash"]["cf_image_url"]."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    text = str(value).strip().rstrip("%").replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def to_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "active")
    return bool(value)


def coerce(value: Any, column_type: Any) -> Any:
    if isinstance(column_type, UTCDateTime):
        return parse_zoho_time(value) if isinstance(value, str) else value
    if isinstance(column_type, Date):
        return parse_zoho_date(value) if isinstance(value, str) else value
    if isinstance(column_type, Numeric):
        return to_decimal(value)
    if isinstance(column_type, Boolean):
        return to_bool(value)
    if isinstance(column_type, String):
        # Ids arrive as JSON numbers from some modules: str() keeps every digit (json ints are
        # exact); an empty string is no value.
        return None if value in (None, "") else str(value)
    return value


def to_row(entity: Entity, table: Table, record: Mapping[str, Any], synced_at: datetime) -> dict:
    """The table row for one Zoho record (replicated bookkeeping columns included)."""
    row: dict[str, Any] = {
        column: coerce(dig(record, path), table.c[column].type)
        for column, path in entity.fields.items()
    }
    row["synced_at"] = synced_at
    if "zoho_id" in table.c:
        row["zoho_id"] = str(record[entity.id_field])
        row["raw"] = dict(record)
        row["deleted_at"] = None
    return row


def line_item_rows(
    entity: Entity, table: Table, parent_id: str, record: Mapping[str, Any], synced_at: datetime
) -> list[dict]:
    rows = []
    for item in record.get("line_items") or []:
        row = {c: coerce(dig(item, p), table.c[c].type) for c, p in LINE_ITEM_FIELDS.items()}
        row[entity.line_items_parent_column] = parent_id
        row["raw"] = dict(item)
        row["synced_at"] = synced_at
        rows.append(row)
    return rows


def month_of(value: date | datetime | None) -> str | None:
    """The monthly partition key (`2025-03-01`) a document date falls into."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.replace(day=1).isoformat()
