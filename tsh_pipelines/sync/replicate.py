"""Replicate one registry entity: page through Zoho, upsert page by page, then the watermark.

Modes: `incremental` lists what changed since the watermark (all months: a payment on an old
invoice is found without re-listing its month); `range` lists the documents dated in a range
(a backfill); `full_refresh` lists everything in scope and tombstones what Zoho confirms it
no longer has (`deletes.py`). Each page is committed on its own through the one write path
(`records.py`), so a killed run keeps its progress and can never overwrite newer rows; the
watermark moves only after the whole listing is committed, and never past the moment the
listing started (`listing.py`), so an edit made while it ran is listed again next time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Engine

from tsh_db.types import utcnow
from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.deletes import confirm_missing
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import month_of, to_row
from tsh_pipelines.sync.records import UPSERTED, delete_records, write_page, write_record
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
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


def list_params(
    engine: Engine, entity: Entity, mode: str, date_start: date | None, date_end: date | None
) -> dict[str, Any]:
    params: dict[str, Any] = dict(entity.list_params)
    if entity.partitioned and date_start is None:
        date_start = history_start()  # documents before it are outside the replica's scope
    if mode == INCREMENTAL and entity.cursor_field:
        watermark = get_watermark(engine, entity.name)
        if watermark is not None:
            # a datetime: the client writes it in the organisation's offset
            params["last_modified_time"] = watermark - OVERLAP
    if date_start and entity.partitioned:
        params["date_start"] = date_start.isoformat()
    if date_end and entity.partitioned:
        params["date_end"] = date_end.isoformat()
    return params


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
    previous = get_watermark(engine, entity.name)
    totals = SyncTotals(entity.name, mode, watermark=previous)
    params = list_params(engine, entity, mode, date_start, date_end)
    seen: set[str] = set()
    listing = Listing(client, entity.api, entity.path, entity.list_key, entity.id_field, params)
    for received_at, records in listing:
        totals.pages += 1
        rows = [to_row(entity, table, r, received_at) for r in records]
        details, gone = fetch_details(client, engine, entity, rows)
        rows = [r for r in rows if r["zoho_id"] not in gone]
        with engine.begin() as conn:
            result, items = write_page(conn, entity, rows, details)
            totals.soft_deleted += delete_records(conn, entity, gone, utcnow())
        totals.counts += result.counts
        totals.details_fetched += len(details)
        totals.line_items += items
        note_page(totals, entity, rows, seen, listing)
        seen.update(gone)  # confirmed already: not to be asked for again
        log.info("%s: page %d, %s rows", entity.name, totals.pages, f"{totals.records:,}")
    if mode == FULL_REFRESH:
        confirm_deletes(client, engine, entity, seen, totals, date_start, date_end, log)
    if mode != RANGE:
        totals.watermark = listing.cursor(previous)
        set_watermark(engine, entity.name, totals.watermark, full=mode == FULL_REFRESH)
    return totals


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
    table = table_of(entity)
    ids = [r["zoho_id"] for r in rows]
    with engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(table.c.zoho_id, table.c.details_modified_time).where(
                    table.c.zoho_id.in_(ids)
                )
            ).all()
        )
    for row in rows:
        known = stored.get(row["zoho_id"])
        if known is None or known != row["zoho_last_modified_time"]:
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
            row["details_modified_time"] = known
    return details, gone
