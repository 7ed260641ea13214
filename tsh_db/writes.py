"""The one write path of the replica: every listing, backfill, refresh, webhook and repair.

The rule, enforced inside each statement so concurrent writers cannot interleave:
- a version (Zoho's `last_modified_time`) never replaces a newer one; for equal versions our
  own receipt order (`synced_at`, the moment the record was read from Zoho) decides;
- a delete is a tombstone: `deleted_at` carries its time (on Zoho's clock), and only a
  strictly newer version revives the row; a record deleted before we ever stored it gets a
  tombstone row of its own, so an older delivery applied later cannot bring it to life;
- children (line items, per-warehouse stock, prices) are written only for parents whose
  stored version is, after the write, exactly the one the children were read with;
- receipt order means one thing per way in: a read is stamped when Zoho answered, a webhook
  when its delivery arrived. Between a read and a webhook of one version with different
  bodies the stamps cannot tell which body is Zoho's latest: such ids are reported
  `ambiguous`, and the caller settles them with a fetch by id.
Whether a row should be deleted at all (Zoho confirmed it gone) is decided by the callers;
this module only makes the delete a tombstone that later, older writes cannot undo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, case, select, update
from sqlalchemy.engine import Connection

from tsh_db.dialect import UpsertResult, insert_missing, upsert, wins

VERSION = "zoho_last_modified_time"
CHUNK = 500
READ, WEBHOOK = "read", "webhook"  # received_via


@dataclass
class WriteResult:
    counts: UpsertResult = field(default_factory=UpsertResult)
    # keys whose stored row is now the written version: their children may be replaced
    current: set[str] = field(default_factory=set)
    # keys whose stored body and the written one share a version but not a way in and differ
    ambiguous: set[str] = field(default_factory=set)


def write_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_for_change: Sequence[str] = ("synced_at",),
    insert_only: Sequence[str] = (),
    via: str = READ,
) -> WriteResult:
    """Upsert replicated rows by `zoho_id` under the rule above; `via` says how they came."""
    if not rows:
        return WriteResult()
    if "received_via" in table.c:
        rows = [{**r, "received_via": via} for r in rows]
        ignore_for_change = (*ignore_for_change, "received_via")
    before = _other_way_same_version(conn, table, rows, via)
    counts = upsert(
        conn, table, rows, ["zoho_id"], ignore_for_change=ignore_for_change, newer_than=VERSION,
        insert_only=insert_only,
    )  # fmt: skip
    incoming = {r["zoho_id"]: r for r in rows}
    current = current_versions(conn, table, rows)
    # The stored body is now a webhook's that beat a read of its version on receipt stamps
    ambiguous = {
        z for z, raw in before.items()
        if raw != incoming[z].get("raw") and (z in current) == (via == WEBHOOK)
    }  # fmt: skip
    return WriteResult(counts, current, ambiguous)


def _other_way_same_version(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], via: str
) -> dict[str, Any]:
    """Stored live bodies of the same version that came the other way: {id: raw}."""
    if "received_via" not in table.c:
        return {}
    incoming = {r["zoho_id"]: r for r in rows if r.get(VERSION) is not None}
    t, ids = table, list(incoming)
    candidates = []
    for start in range(0, len(ids), CHUNK):
        query = select(t.c.zoho_id, t.c[VERSION]).where(
            t.c.zoho_id.in_(ids[start : start + CHUNK]), t.c.deleted_at.is_(None),
            t.c.received_via.is_not(None), t.c.received_via != via,
        )  # fmt: skip
        candidates += [z for z, v in conn.execute(query) if v == incoming[z][VERSION]]
    if not candidates:
        return {}
    query = select(t.c.zoho_id, t.c.raw).where(t.c.zoho_id.in_(candidates))
    return {z: raw for z, raw in conn.execute(query)}


def current_versions(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> set:
    """The ids of `rows` whose stored, live row carries exactly their version and receipt."""
    incoming = {r["zoho_id"]: r for r in rows}
    current: set[str] = set()
    ids = list(incoming)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = select(table.c.zoho_id, table.c[VERSION], table.c.synced_at, table.c.deleted_at)
        for zoho_id, version, synced_at, deleted_at in conn.execute(
            query.where(table.c.zoho_id.in_(chunk))
        ):
            row = incoming[zoho_id]
            if deleted_at is None and version == row.get(VERSION) and synced_at <= row["synced_at"]:
                current.add(zoho_id)
    return current


def tombstone(conn: Connection, table: Table, ids: Iterable[str], at: datetime) -> int:
    """Mark rows deleted at `at`, on Zoho's clock (or at their own version, if that is later:
    a tombstone is never older than the version it buries, so that version cannot revive it).

    An id never stored gets a tombstone row: the delete may be applied before the record's
    create or edit (reordered or retried deliveries), which must then find it dead.
    Returns how many live rows were deleted.
    """
    ids = sorted(set(ids))
    stamp = case((table.c[VERSION] > at, table.c[VERSION]), else_=at)
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        result = conn.execute(
            update(table)
            .where(table.c.zoho_id.in_(chunk), table.c.deleted_at.is_(None))
            .values(deleted_at=stamp)
        )
        done += result.rowcount or 0
        stored = set(conn.scalars(select(table.c.zoho_id).where(table.c.zoho_id.in_(chunk))))
        unseen = [tombstone_row(table, z, at) for z in chunk if z not in stored]
        insert_missing(conn, table, unseen, ["zoho_id"])
    return done


def tombstone_row(table: Table, zoho_id: str, at: datetime) -> dict[str, Any]:
    """A dead row for a record we never had: empty text where the table wants a value."""
    row: dict[str, Any] = {"zoho_id": zoho_id, "synced_at": at, "deleted_at": at}
    for column in table.c:
        required = not column.nullable and column.default is None and (
            column.server_default is None and not column.primary_key)  # fmt: skip
        if required and column.name not in row and isinstance(column.type, String):
            row[column.name] = ""
    return row


__all__ = [
    "READ", "VERSION", "WEBHOOK", "WriteResult", "current_versions", "tombstone", "wins",
    "write_rows",
]  # fmt: skip
