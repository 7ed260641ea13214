"""Zoho records → table rows, driven by the registry's field map and the table's column types.

Real Zoho data is untidy: numbers arrive as "" or "5%", ids as numbers above 2^53 or as
strings, dates bare or with offsets. Coercion is decided by the target column's type, so a
new entity needs a field map, not new parsing code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, Numeric, String, Table

from tsh_db.schema import metadata
from tsh_db.types import UTCDateTime
from tsh_pipelines.entities import BY_NAME, Child, Entity
from tsh_pipelines.zoho.timefmt import parse_zoho_date, parse_zoho_time


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


def _as_time(value: Any) -> Any:
    return parse_zoho_time(value) if isinstance(value, str) else value


def _as_date(value: Any) -> Any:
    return parse_zoho_date(value) if isinstance(value, str) else value


def _as_text(value: Any) -> str | None:
    # Ids arrive as JSON numbers from some modules: str() keeps every digit (json ints are
    # exact); an empty string is no value.
    return None if value is None or value == "" else str(value)


def converter(column_type: Any) -> Callable[[Any], Any]:
    """How a Zoho value becomes a value of this column type."""
    for kind, convert in (
        (UTCDateTime, _as_time), (Date, _as_date), (Numeric, to_decimal), (Boolean, to_bool),
        (String, _as_text),
    ):  # fmt: skip
        if isinstance(column_type, kind):
            return convert
    return lambda value: value


def coerce(value: Any, column_type: Any) -> Any:
    return converter(column_type)(value)


@cache
def _plan(table: Table, fields: tuple[tuple[str, str], ...]) -> list[tuple[str, list[str], Any]]:
    """Column, path and converter per mapped field: worked out once per table, not per row."""
    return [(col, path.split("."), converter(table.c[col].type)) for col, path in fields]


def _mapped(table: Table, fields: Mapping[str, str], record: Mapping[str, Any]) -> dict:
    row: dict[str, Any] = {}
    for column, parts, convert in _plan(table, tuple(fields.items())):
        value: Any = record
        for part in parts:
            value = value.get(part) if isinstance(value, Mapping) else None
        row[column] = convert(value)
    return row


def to_row(entity: Entity, table: Table, record: Mapping[str, Any], synced_at: datetime) -> dict:
    """The table row for one Zoho record (replicated bookkeeping columns included)."""
    row = _mapped(table, entity.fields, record)
    row["synced_at"] = synced_at
    if "zoho_id" in table.c:
        row["zoho_id"] = str(record[entity.id_field])
        row["raw"] = dict(record)
        row["deleted_at"] = None
        row["source"] = entity.api  # the API it is read from (items: product_row decides)
    return row


def product_row(record: Mapping[str, Any], source: str, now: datetime) -> dict[str, Any]:
    """A `products` row from a Books or Inventory item (stock columns are not part of it)."""
    row = to_row(BY_NAME["products"], metadata.tables["products"], record, now)
    row["source"] = source
    row["is_active"] = str(record.get("status", "active")).lower() == "active"
    return row


def child_rows(
    child: Child, table: Table, parent_id: str, record: Mapping[str, Any], synced_at: datetime
) -> list[dict]:
    """The rows of one child table from one detail record (`Child.sources`: lists of rows,
    or single objects such as a contact's billing address)."""
    rows = []
    for source in child.sources:
        found = record.get(source)
        for item in [found] if isinstance(found, Mapping) else found or []:
            if not isinstance(item, Mapping) or not item:
                continue
            row = _mapped(table, child.fields, item)
            row[child.parent_column] = parent_id
            if child.kind_column:
                row[child.kind_column] = source.removesuffix("_address")
            row["raw"] = dict(item)
            row["synced_at"] = synced_at
            rows.append(row)
    return rows


def count_children(entity: Entity, record: Mapping[str, Any]) -> int:
    """How many child rows a detail record carries (an object, such as an address, is one)."""
    found = [record.get(s) for child in entity.children for s in child.sources]
    return sum(1 if isinstance(f, Mapping) else len(f or []) for f in found)


def has_children(entity: Entity, record: Mapping[str, Any]) -> bool:
    """Whether a record carries what only the detail call gives (every child's sources)."""
    return bool(entity.children) and all(
        source in record for child in entity.children for source in child.sources
    )


def month_of(value: date | datetime | None) -> str | None:
    """The monthly partition key (`2025-03-01`) a document date falls into."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.replace(day=1).isoformat()
