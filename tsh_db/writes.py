"""The one write path of the replica: every listing, backfill, refresh, webhook and repair.

The rule, enforced inside each statement so concurrent writers cannot interleave:
- a version (Zoho's `last_modified_time`) never replaces a newer one; for equal versions our
  own receipt order (`synced_at`, the moment the record was read from Zoho) decides;
- a delete is a tombstone: `deleted_at` carries its time, and only a strictly newer version
  revives the row;
- children (line items, per-warehouse stock, prices) are written only for parents whose
  stored version is, after the write, exactly the one the children were read with.
Whether a row should be deleted at all (Zoho confirmed it gone) is decided by the callers;
this module only makes the delete a tombstone that later, older writes cannot undo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case, select, update
from sqlalchemy.engine import Connection

from tsh_db.dialect import UpsertResult, upsert, wins

VERSION = "zoho_last_modified_time"
CHUNK = 500


@dataclass
class WriteResult:
    counts: UpsertResult = field(default_factory=UpsertResult)
    # keys whose stored row is now the written version: their children may be replaced
    current: set[str] = field(default_factory=set)


def write_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_for_change: Sequence[str] = ("synced_at",),
    insert_only: Sequence[str] = (),
) -> WriteResult:
    """Upsert replicated rows by `zoho_id` under the rule above."""
    if not rows:
        return WriteResult()
    counts = upsert(
        conn, table, rows, ["zoho_id"], ignore_for_change=ignore_for_change, newer_than=VERSION,
        insert_only=insert_only,
    )  # fmt: skip
    return WriteResult(counts, current_versions(conn, table, rows))


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
    """Mark rows deleted at `at` (or at their own version, if that is later: a tombstone is
    never older than the version it buries, so that version cannot revive it)."""
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
    return done


__all__ = ["VERSION", "WriteResult", "current_versions", "tombstone", "wins", "write_rows"]
