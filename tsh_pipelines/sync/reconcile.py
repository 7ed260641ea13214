"""Reconciliation: one full listing of an entity against the live replica, id by id.

Zoho's listings carry each record's id and `last_modified_time`, 200 a call, so the cheapest
proof that the replica equals Zoho is a listing of everything in scope compared with the live
rows: **missing** (listed, not live here), **stale** (an older version here), **extra** (live
here, not listed) and, for documents, **line items** out of date (`details_modified_time`
behind the record, or the listed `total` not the stored one at an equal version: the cheap net
for line items Zoho might change without moving the document's version, unconfirmed). In
repair mode the drifted rows of each page go through the one write
path (`write_page`), details are fetched only for documents whose line items are not of the
listed version, and extras are asked for by id (`confirm_missing`: a 404 tombstones, an
answer writes the record back). Report mode classifies and writes nothing (extras are then
unconfirmed: a delete during the listing can hide one live record).

What is found is measured before anything is repaired; what is repaired is what a second
look at the stored rows, after the writes, no longer finds behind.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from tsh_db.types import utcnow
from tsh_db.writes import VERSION
from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.deletes import DeleteShareExceeded, confirm_missing, live_ids
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import to_decimal, to_row
from tsh_pipelines.sync.records import delete_records, write_page, write_record
from tsh_pipelines.sync.replicate import fetch_details, history_start, same_total
from tsh_pipelines.sync.tables import table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.timefmt import parse_zoho_time

MISSING, STALE, EXTRA, LINE_ITEMS = "missing", "stale", "extra", "line_items"
REPAIR, REPORT, COUNTS = "repair", "report", "counts"
MODES = (REPAIR, REPORT, COUNTS)
Log = logging.Logger | logging.LoggerAdapter
WriteBack = Callable[[dict, str], Any]  # writes one record Zoho still has (record, source)
RowOf = Callable[[dict], dict]  # a listed record -> its table row


@dataclass
class Drift:
    """What one reconciliation found (ids per kind) and repaired (how many per kind)."""

    entity: str
    listed: int = 0  # records in Zoho's listing, in scope
    live: int = 0  # live rows in the replica, in scope, before the run
    found: dict[str, list[str]] = field(default_factory=dict)
    repaired: Counter[str] = field(default_factory=Counter)
    calls: dict[str, int] = field(default_factory=dict)  # api:endpoint -> calls
    error: str | None = None  # why it stopped or left something undone

    def note(self, kind: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.found.setdefault(kind, []).extend(ids)

    def count(self, kind: str) -> int:
        return len(self.found.get(kind, ()))

    @property
    def drifted(self) -> int:
        return sum(len(ids) for ids in self.found.values())

    @property
    def unrepaired(self) -> int:
        return sum(max(0, len(ids) - self.repaired[k]) for k, ids in self.found.items())


def calls_since(client: ZohoClient, before: Counter) -> Counter[str]:
    """Calls made since `before` (a copy of `client.stats.calls`), by `api:endpoint`."""
    out: Counter[str] = Counter()
    for (api, endpoint, _outcome), n in (Counter(client.stats.calls) - before).items():
        out[f"{api}:{endpoint}"] += n
    return out


def scope_of(entity: Entity) -> date | None:
    """Documents are compared from the history start on, on both sides; the rest whole."""
    return history_start() if entity.partitioned else None


def count_live(engine: Engine, entity: Entity) -> int:
    table, start = table_of(entity), scope_of(entity)
    where = [table.c.deleted_at.is_(None)]
    if start is not None:
        where.append(table.c.date >= start)
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(and_(*where))) or 0


def stored_state(conn: Connection, entity: Entity, ids: list[str]) -> dict[str, Any]:
    t = table_of(entity)
    cols = [t.c.zoho_id, t.c[VERSION], t.c.deleted_at]
    if entity.line_items_table:
        cols.append(t.c.details_modified_time)
        cols.extend([t.c.total] if "total" in t.c else [])
    return {r.zoho_id: r for r in conn.execute(select(*cols).where(t.c.zoho_id.in_(ids)))}


def classify(entity: Entity, rows: list[dict], stored: Mapping[str, Any]) -> dict[str, str]:
    """zoho_id -> kind for the listed rows the replica is behind on (one kind per row)."""
    behind: dict[str, str] = {}
    for row in rows:
        zoho_id, listed = row["zoho_id"], row.get(VERSION)
        old = stored.get(zoho_id)
        if old is None or old.deleted_at is not None:
            behind[zoho_id] = MISSING
        elif listed is not None and (old[1] is None or old[1] < listed):
            behind[zoho_id] = STALE
        elif (
            entity.line_items_table
            and old[1] == listed
            and (old.details_modified_time != listed or total_differs(row, old))
        ):
            behind[zoho_id] = LINE_ITEMS
        # a newer version here was written after the page was read: not drift
    return behind


def total_differs(row: Mapping[str, Any], stored: Any) -> bool:
    """The listed total is not the stored one (a row without a total compares nothing)."""
    if "total" not in row or "total" not in stored._fields:
        return False
    return not same_total(stored.total, row["total"])


def reconcile_page(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    records: list[dict],
    row_of: RowOf,
    drift: Drift,
    repair: bool,
) -> set[str]:
    """Classify one listed page; in repair mode write what is behind through the write path.
    The ids listed. Only the rows behind are mapped whole: most of a page is current."""
    listed = {str(r[entity.id_field]): r for r in records}
    version = entity.fields.get(VERSION)  # warehouses carry none
    lite = [{"zoho_id": z, VERSION: parse_zoho_time(r.get(version)) if version else None}
            for z, r in listed.items()]  # fmt: skip
    if entity.line_items_table and "total" in entity.fields:
        for row in lite:
            row["total"] = to_decimal(listed[row["zoho_id"]].get(entity.fields["total"]))
    with engine.connect() as conn:
        behind = classify(entity, lite, stored_state(conn, entity, list(listed)))
    for kind in (MISSING, STALE, LINE_ITEMS):
        drift.note(kind, [z for z in listed if behind.get(z) == kind])
    if repair and behind:
        _repair(client, engine, entity, [row_of(listed[z]) for z in behind], behind, drift)
    return set(listed)


def _repair(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    rows: list[dict],
    behind: dict[str, str],
    drift: Drift,
) -> None:
    details, gone = fetch_details(client, engine, entity, rows)
    rows = [r for r in rows if r["zoho_id"] not in gone]
    with engine.begin() as conn:
        write_page(conn, entity, rows, details)
        delete_records(conn, entity, gone, client.now())
        still = classify(entity, rows, stored_state(conn, entity, [r["zoho_id"] for r in rows]))
    for zoho_id, kind in behind.items():
        if zoho_id not in still:  # now current, or confirmed deleted since the listing
            drift.repaired[kind] += 1


def reconcile_extras(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    seen: set[str],
    started: datetime,
    drift: Drift,
    write_back: WriteBack | None,
    log: Log,
) -> None:
    """Live rows the listing did not return: in repair mode (`write_back` given) each is asked
    for by id before anything is tombstoned."""
    start = scope_of(entity)
    # Rows written since the listing started came from Zoho after it began: no evidence.
    seen = seen | recently_written(engine, entity, started)
    extras = sorted(live_ids(engine, entity, start, None) - seen)
    drift.note(EXTRA, extras)
    if not extras or write_back is None:
        return
    try:
        deleted, still_there = confirm_missing(
            client, engine, entity, seen, write_back, date_start=start, log=log
        )
    except DeleteShareExceeded as exc:
        drift.error = str(exc)
        return
    drift.repaired[EXTRA] += deleted + still_there


def recently_written(engine: Engine, entity: Entity, since: datetime) -> set[str]:
    t = table_of(entity)
    with engine.connect() as conn:
        return set(conn.scalars(select(t.c.zoho_id).where(t.c.synced_at >= since)))


def reconcile_entity(
    client: ZohoClient, engine: Engine, entity: Entity, *, repair: bool, log: Log
) -> Drift:
    """One listing of everything in scope against the live rows (registry entities with a
    plain listing: customers, warehouses, the documents)."""
    drift = Drift(entity.name, live=count_live(engine, entity))
    start = scope_of(entity)
    params = {**entity.list_params, **({"date_start": start.isoformat()} if start else {})}
    table, seen = table_of(entity), set()
    listing = Listing.of(client, entity, params, log)
    started = utcnow()
    for page, (received_at, records) in enumerate(listing, 1):
        row_of = partial(to_row, entity, table, synced_at=received_at)
        seen |= reconcile_page(client, engine, entity, records, row_of, drift, repair)
        log.info("%s: reconciled page %d, %s rows", entity.name, page, f"{len(seen):,}")
    drift.listed = len(seen)
    write_back = (lambda record, source: write_record(engine, entity, record, source)) if (
        repair) else None  # fmt: skip
    reconcile_extras(client, engine, entity, seen, started, drift, write_back, log)
    return drift
