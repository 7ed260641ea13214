"""The three things PostgreSQL and SQLite do differently: upsert, bulk load, row claiming."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, and_, or_, select, tuple_
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import ColumnElement

# Above this many rows PostgreSQL upserts go through COPY into a staging table.
COPY_THRESHOLD = 2000
# SQLite caps bound parameters per statement (32766); stay well below it.
SQLITE_MAX_PARAMS = 30000


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


def _insert(conn: Connection, table: Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def insert_missing(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    """Insert rows whose key is not there yet; safe when several processes race to create
    the same row (the losers' inserts do nothing)."""
    if rows:
        stmt = _insert(conn, table).values(list(rows))
        conn.execute(stmt.on_conflict_do_nothing(index_elements=list(keys)))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    *,
    ignore_for_change: Sequence[str] = ("synced_at",),
    newer_than: str | None = None,
    insert_only: Sequence[str] = (),
) -> UpsertResult:
    """Insert rows or update them by natural key; rows whose values are identical stay untouched.

    `ignore_for_change` columns are written only when something else changed, so a re-sync of
    an unchanged record is a no-op. With `newer_than` (a version column such as
    `zoho_last_modified_time`) the replica's one rule holds inside the statement, so concurrent
    writers cannot interleave: an older version never replaces a newer one (equal versions:
    the later `synced_at`, our receipt order, wins), and a tombstoned row (`deleted_at` set)
    is revived only by a version strictly newer than its tombstone. See `tsh_db.writes`.
    `insert_only` columns are set when the row is created and never changed afterwards.
    """
    if not rows:
        return UpsertResult()
    rows = _last_per_key(rows, keys)
    if conn.dialect.name == "postgresql" and len(rows) > COPY_THRESHOLD:
        return _upsert_via_copy(conn, table, rows, keys, ignore_for_change, newer_than, insert_only)
    result = UpsertResult()
    batch = max(1, SQLITE_MAX_PARAMS // max(1, len(rows[0])))
    for start in range(0, len(rows), batch):
        result += _upsert_batch(
            conn, table, rows[start : start + batch], keys, ignore_for_change, newer_than,
            insert_only,
        )  # fmt: skip
    return result


def _last_per_key(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping]:
    """One row per key (the last one wins): a statement may not touch a row twice."""
    by_key = {tuple(r[k] for k in keys): r for r in rows}
    return list(by_key.values())


def _change_condition(
    table: Table, excluded: Any, cols: Iterable[str], newer_than: str | None
) -> ColumnElement[bool]:
    changed = or_(*(table.c[c].is_distinct_from(excluded[c]) for c in cols))
    if newer_than is None:
        return changed
    return and_(changed, wins(table, excluded, newer_than))


def wins(
    table: Any, incoming: Any, version: str, received: str = "synced_at", tombstones: bool = True
) -> ColumnElement[bool]:
    """Whether `incoming` (the EXCLUDED row, or bound values) may replace the stored row.

    Newer `version` wins; equal versions go to the later `received` (our receipt order).
    With `tombstones`, a deleted row is revived only by a version newer than its tombstone;
    unversioned rows (no version on either side) are decided by receipt order alone.
    """
    stored_v, new_v = table.c[version], incoming[version]
    same_or_later = and_(new_v == stored_v, incoming[received] >= table.c[received])
    order = or_(stored_v.is_(None), new_v.is_(None), new_v > stored_v, same_or_later)
    if not tombstones or "deleted_at" not in table.c:
        return order
    unversioned = and_(stored_v.is_(None), new_v.is_(None))
    alive = or_(table.c.deleted_at.is_(None), new_v > table.c.deleted_at, unversioned)
    return and_(order, alive)


def _key_expr(table: Table, keys: Sequence[str]) -> Any:
    return table.c[keys[0]] if len(keys) == 1 else tuple_(*(table.c[k] for k in keys))


def _key_of(row: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)


def _upsert_batch(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    ignore_for_change: Sequence[str],
    newer_than: str | None,
    insert_only: Sequence[str],
) -> UpsertResult:
    key_expr = _key_expr(table, keys)
    wanted = [_key_of(r, keys) for r in rows]
    existing = {
        (row[0] if len(keys) == 1 else tuple(row))
        for row in conn.execute(select(*(table.c[k] for k in keys)).where(key_expr.in_(wanted)))
    }
    cols = [c for c in rows[0] if c not in keys and c not in insert_only]
    # One single-row statement run with many parameter sets: SQLAlchemy compiles it once
    # (cached) and batches the rows itself ("insertmanyvalues"), where a multi-row VALUES
    # clause would be compiled anew for every batch.
    stmt = _insert(conn, table)
    compared = [c for c in cols if c not in ignore_for_change]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in cols},
        where=_change_condition(table, stmt.excluded, compared, newer_than),
    ).returning(*(table.c[k] for k in keys))
    touched = {(r[0] if len(keys) == 1 else tuple(r)) for r in conn.execute(stmt, list(rows))}
    updated = len(touched & existing)
    return UpsertResult(
        inserted=len(touched) - updated, updated=updated, unchanged=len(existing) - updated
    )


def _upsert_via_copy(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    ignore_for_change: Sequence[str],
    newer_than: str | None,
    insert_only: Sequence[str],
) -> UpsertResult:
    """COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT from it."""
    cols = list(rows[0])
    stage = f"stage_{table.name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name} INCLUDING DEFAULTS) "
        "ON COMMIT DROP"
    )
    conn.exec_driver_sql(f"TRUNCATE {stage}")
    _copy(conn, stage, [table.c[c] for c in cols], rows)
    col_list = ", ".join(cols)
    key_list = ", ".join(keys)
    updates = [c for c in cols if c not in keys and c not in insert_only]
    compared = [c for c in updates if c not in ignore_for_change]
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in compared) or "false"
    if newer_than:
        rule = wins(table.alias("t"), _excluded(table), newer_than)  # type: ignore[arg-type]
        changed = f"({changed}) AND ({rule.compile(conn, compile_kwargs={'literal_binds': True})})"
    set_clause = ", ".join(f"{c} = EXCLUDED.{c}" for c in updates)
    sql = (
        f"INSERT INTO {table.name} AS t ({col_list}) SELECT {col_list} FROM {stage} "
        f"ON CONFLICT ({key_list}) DO UPDATE SET {set_clause} WHERE {changed} "
        "RETURNING (xmax = 0) AS inserted"
    )
    flags = [r[0] for r in conn.exec_driver_sql(sql)]
    inserted = sum(1 for f in flags if f)
    updated = len(flags) - inserted
    return UpsertResult(inserted, updated, len(rows) - inserted - updated)


def _excluded(table: Table) -> Any:
    """ON CONFLICT's EXCLUDED row as a table, so the COPY path compiles the same rule."""
    return sa_table("excluded", *(sa_column(c.name, c.type) for c in table.c)).c


def bulk_load(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append rows as fast as the dialect allows: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, [table.c[c] for c in rows[0]], rows)
    else:
        conn.execute(table.insert(), list(rows))
    return len(rows)


def _copy(conn: Connection, target: str, cols: list[Column], rows: Sequence[Mapping]) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write(",".join(_csv_field(row[c.name]) for c in cols))
        buf.write("\n")
    buf.seek(0)
    names = ", ".join(c.name for c in cols)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f"COPY {target} ({names}) FROM STDIN WITH (FORMAT csv)", buf)
    finally:
        cursor.close()


def _csv_field(value: Any) -> str:
    """COPY's CSV: NULL is an unquoted empty field, so every real value is quoted."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"))
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    else:
        value = str(value)
    return '"' + value.replace('"', '""') + '"'


def claim_rows(
    conn: Connection,
    table: Table,
    where: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
    values: Mapping[str, Any],
) -> list[RowMapping]:
    """Mark up to `limit` matching rows with `values` and return them, exactly once.

    PostgreSQL skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`), so concurrent
    claimers never wait on or take each other's rows; SQLite writers are serialised by the
    `BEGIN IMMEDIATE` the engine issues, which gives the same guarantee.
    """
    pick = select(table.c.id).where(where).order_by(*order_by).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = table.update().where(table.c.id.in_(pick.scalar_subquery())).values(**values)
    return list(conn.execute(stmt.returning(*table.c)).mappings())
