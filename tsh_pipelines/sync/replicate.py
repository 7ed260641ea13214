"""Replicate one registry entity: page through Zoho, upsert page by page, then the watermark.

Modes: `incremental` lists what changed since the watermark (all months: a payment on an old
invoice is found without re-listing its month); `range` lists the documents dated in a range
(a backfill); `full_refresh` lists everything in scope and tombstones what Zoho confirms it
no longer has (`deletes.py`). Only a listing of the whole entity moves its watermark: one over
some months (a ranged full refresh or backfill) says nothing of the documents of the others.
Each page is committed on its own through the one write path
(`records.py`), so a killed run keeps its progress and can never overwrite newer rows; the
watermark moves only after the whole listing is committed, and never past the moment the
listing started (`listing.py`), so an edit made while it ran is listed again next time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Engine

from tsh_db.types import utcnow
from tsh_db.writes import VERSION
from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.deletes import confirm_missing
from tsh_pipelines.sync.listing import Listing, fall_back_margin
from tsh_pipelines.sync.mapping import month_of, to_row
from tsh_pipelines.sync.records import UPSERTED, delete_records, write_page, write_record
from tsh_pipelines.sync.state import SyncTotals, get_watermark, listed_at, set_watermark
from tsh_pipelines.sync.tables import table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_record, unless_gone

INCREMENTAL, RANGE, FULL_REFRESH = "incremental", "range", "full_refresh"
# Re-list a little before the watermark: Zoho stamps seconds, and a record saved while we
# were listing can carry a time just under the newest one we saw.
OVERLAP = timedelta(minutes=2)
PREVIEW_ROWS = 5


def history_start() -> date | None:
    """The first document date the replica holds (`ZOHO_HISTORY_START`; empty: all history).

    Read at call time, so every listing and every comparison of one run uses the same scope.
    """
    raw = os.environ.get("ZOHO_HISTORY_START", "2025-01-01").strip()
    return date.fromisoformat(raw) if raw else None


def covers_whole(entity: Entity, date_start: date | None, date_end: date | None) -> bool:
    """Whether a listing over these document dates lists every record of the entity in scope.

    Only such a listing earns an entity-wide watermark: a full refresh of May says nothing of
    a February invoice edited before it, and a watermark moved past that edit loses it."""
    if not entity.partitioned:
        return True  # the dates do not narrow its listing
    if date_end is not None:
        return False
    if date_start is None:
        return True
    start = history_start()
    return start is not None and date_start <= start


def list_params(
    engine: Engine,
    entity: Entity,
    mode: str,
    date_start: date | None,
    date_end: date | None,
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    """The listing's parameters; `zone` (the organisation's) widens a cursor whose window
    spans a daylight-saving fall-back (`fall_back_margin`)."""
    params: dict[str, Any] = dict(entity.list_params)
    if entity.partitioned and date_start is None:
        date_start = history_start()  # documents before it are outside the replica's scope
    if mode == INCREMENTAL and entity.cursor_field:
        watermark = get_watermark(engine, entity.name)
        if watermark is not None:
            since = watermark - OVERLAP
            if zone is not None:
                since -= fall_back_margin(zone, since, utcnow())
            # a datetime: the client writes it in the organisation's offset
            params["last_modified_time"] = since
    if date_start and entity.partitioned:
        params["date_start"] = date_start.isoformat()
    if date_end and entity.partitioned:
        params["date_end"] = date_end.isoformat()
    return params


def cursor_zone(client: ZohoClient, engine: Engine, entity: Entity, mode: str) -> tzinfo | None:
    """The organisation's zone when this run will send a cursor, asked before the watermark is
    read: the daily re-read that finds the zone changed rewinds every watermark
    (`organization.py`), and the run must list from the rewound one rather than write the old
    one back at its end. Not asked otherwise, as before (a call when nothing is cached)."""
    if mode != INCREMENTAL or not entity.cursor_field:
        return None
    return client.zone if get_watermark(engine, entity.name) is not None else None


def sync_entity(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    *,
    mode: str = INCREMENTAL,
    date_start: date | None = None,
    date_end: date | None = None,
    log: logging.Logger | logging.LoggerAdapter | None = None,
) -> SyncTotals:
    log = log or logging.getLogger(__name__)
    if entity.partitioned and date_start is None:
        # the first incremental run too: documents before the history start stay out, so
        # the replica and every comparison with Zoho share one scope
        date_start = history_start()
    table = table_of(entity)
    zone = cursor_zone(client, engine, entity, mode)
    previous = get_watermark(engine, entity.name)  # after the zone: it may have rewound it
    totals = SyncTotals(entity.name, mode, watermark=previous)
    if is_fresh(engine, entity, mode):
        log.info("%s: listed whole less than %d h ago; not listed again until then",
                 entity.name, entity.refresh_hours)  # fmt: skip
        totals.extra["fresh"] = 1
        return totals
    params = list_params(engine, entity, mode, date_start, date_end, zone)
    seen: set[str] = set()
    listing = Listing.of(client, entity, params, log)
    for received_at, records in listing:
        totals.pages += 1
        rows = [to_row(entity, table, r, received_at) for r in records]
        details, gone = fetch_details(client, engine, entity, rows)
        rows = [r for r in rows if r["zoho_id"] not in gone]
        with engine.begin() as conn:
            result, items = write_page(conn, entity, rows, details)
            totals.soft_deleted += delete_records(conn, entity, gone, client.now())
        settle_ambiguous(client, engine, entity, result.ambiguous, totals)
        totals.counts += result.counts
        totals.details_fetched += len(details)
        totals.line_items += items
        note_page(totals, entity, rows, seen, listing)
        seen.update(gone)  # confirmed already: not to be asked for again
        log.info("%s: page %d, %s rows", entity.name, totals.pages, f"{totals.records:,}")
    if mode == FULL_REFRESH:
        confirm_deletes(client, engine, entity, seen, totals, date_start, date_end, log)
    if mode != RANGE and covers_whole(entity, date_start, date_end):
        totals.watermark = listing.cursor(previous)
        set_watermark(engine, entity.name, totals.watermark, full=mode == FULL_REFRESH)
    return totals


def is_fresh(engine: Engine, entity: Entity, mode: str) -> bool:
    """An incremental run of a settings listing (no cursor) within its `refresh_hours`."""
    if mode != INCREMENTAL or not entity.refresh_hours:
        return False
    last = listed_at(engine, entity.name)
    return last is not None and utcnow() - last < timedelta(hours=entity.refresh_hours)


def confirm_deletes(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    seen: set[str],
    totals: SyncTotals,
    date_start: date | None = None,
    date_end: date | None = None,
    log: logging.Logger | logging.LoggerAdapter | None = None,
    where: ColumnElement[bool] | None = None,
) -> None:
    """After a full listing: tombstone what Zoho confirms gone, write back what it still has."""

    def repair(record: dict, source: str) -> None:
        outcome, _ = write_record(engine, entity, record, source)
        if outcome == UPSERTED:
            totals.counts.updated += 1

    deleted, repaired = confirm_missing(
        client, engine, entity, seen, repair, date_start=date_start, date_end=date_end, log=log,
        where=where,
    )  # fmt: skip
    totals.soft_deleted += deleted
    totals.extra["missing_but_live"] = totals.extra.get("missing_but_live", 0) + repaired


def settle_ambiguous(
    client: ZohoClient, engine: Engine, entity: Entity, ids: set[str], totals: SyncTotals
) -> None:
    """Rows this page read lost to webhook bodies of their version that arrived later with
    other content: which is Zoho's latest the stamps cannot say, so Zoho is asked (a call
    each; it happens only to edits made within one second of each other)."""
    for zoho_id in sorted(ids):
        found = unless_gone(lambda z=zoho_id: fetch_record(client, entity, z))
        if found is None:
            with engine.begin() as conn:
                totals.soft_deleted += delete_records(conn, entity, [zoho_id], client.now())
        else:
            write_record(engine, entity, *found)
    if ids:
        totals.extra["settled_by_fetch"] = totals.extra.get("settled_by_fetch", 0) + len(ids)


def note_page(
    totals: SyncTotals,
    entity: Entity,
    rows: list[dict],
    seen: set[str],
    listing: Listing | None = None,
) -> None:
    totals.records += len(rows)
    for row in rows:
        seen.add(row["zoho_id"])
        if listing is not None:
            listing.note(row.get("zoho_last_modified_time"))
        if entity.partitioned and row.get("date"):
            totals.touched_partitions.add(month_of(row["date"]))  # type: ignore[arg-type]
    room = PREVIEW_ROWS - len(totals.preview)
    # The id and the first few business fields (not the replica's own timestamps).
    cols = ["zoho_id", *[c for c in entity.fields if not c.startswith("zoho_")][:4]]
    totals.preview.extend({c: _plain(r.get(c)) for c in cols} for r in rows[:room])


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | type(None)) else str(value)


def fetch_details(
    client: ZohoClient, engine: Engine, entity: Entity, rows: list[dict]
) -> tuple[dict[str, Mapping], set[str]]:
    """Detail records, only for documents new or changed since their line items were stored,
    and the ids Zoho deleted since the page was listed (its 404 confirms the delete).

    A detail read later than the listing may be newer than the listed row: the row is then
    taken from the detail, so a row and its line items are always of one version.
    """
    details: dict[str, Mapping] = {}
    gone: set[str] = set()
    if not entity.line_items_table:
        return details, gone
    stored = stored_details(engine, entity, [r["zoho_id"] for r in rows])
    table = table_of(entity)
    for row in rows:
        known = stored.get(row["zoho_id"])
        if needs_detail(row, known):
            found = unless_gone(lambda z=row["zoho_id"]: fetch_record(client, entity, z))
            if found is None:
                gone.add(row["zoho_id"])
                continue
            detail = found[0]
            fresh = to_row(entity, table, detail, utcnow())
            if fresh["zoho_last_modified_time"] != row["zoho_last_modified_time"]:
                row.update(fresh)
            details[row["zoho_id"]] = detail
        else:
            row["details_modified_time"] = known["details_modified_time"]  # type: ignore[index]
    return details, gone


def stored_details(engine: Engine, entity: Entity, ids: list[str]) -> dict[str, dict]:
    """zoho_id -> the stored row's details_modified_time and mapped columns, among `ids`."""
    t = table_of(entity)
    cols = [t.c.zoho_id, t.c.details_modified_time, *(t.c[c] for c in entity.fields)]
    with engine.connect() as conn:
        found = conn.execute(select(*cols).where(t.c.zoho_id.in_(ids))).mappings().all()
    return {r["zoho_id"]: dict(r) for r in found}


def needs_detail(row: dict, known: dict | None) -> bool:
    """Whether a listed record's children must be read again (a call): it is new, its
    version moved, or at an equal version the listing shows other values than the stored row.

    The last is the net for what Zoho's whole-second versions cannot order: two edits in one
    second (the later may reach us only by this listing), and line items Zoho might change
    without moving the version (unconfirmed; every line-item edit that matters moves the
    total). A value the listing does not carry is no difference."""
    if known is None or known["details_modified_time"] != row["zoho_last_modified_time"]:
        return True
    return any(
        value is not None and not same_value(known[column], value)
        for column, value in row.items() if column in known and column != VERSION
    )  # fmt: skip


def same_value(stored: Any, listed: Any) -> bool:
    """Equal as stored: money at the column's four decimals (SQLite keeps it as REAL, and a
    total Zoho gives with more decimals is stored rounded)."""
    if isinstance(listed, Decimal | float) and not isinstance(listed, bool):
        return same_total(stored, Decimal(str(listed)))
    return stored == listed


def same_total(stored: Decimal | None, listed: Decimal | None) -> bool:
    """Equal at the column's four decimals."""
    if stored is None or listed is None:
        return stored is listed
    return round(Decimal(stored), 4) == round(Decimal(listed), 4)
