"""Replicate one registry entity: page through Zoho, upsert page by page, then the watermark.

Modes: `incremental` lists what changed since the watermark (all months: a payment on an old
invoice is found without re-listing its month); `range` lists the documents dated in a range
(a backfill); `full_refresh` lists everything in scope and soft-deletes what Zoho no longer
returns. Each page is committed on its own, so a killed run keeps its progress, and the
watermark moves only after the whole listing is committed, so a re-run converges.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import bulk_load, upsert
from tsh_db.types import utcnow
from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.mapping import line_item_rows, month_of, to_row
from tsh_pipelines.sync.prefetch import prefetch
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
from tsh_pipelines.sync.tables import line_items_table_of, table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.timefmt import format_zoho_time

INCREMENTAL, RANGE, FULL_REFRESH = "incremental", "range", "full_refresh"
# Re-list a little before the watermark: Zoho stamps seconds, and a record saved while we
# were listing can carry a time just under the newest one we saw.
OVERLAP = timedelta(minutes=2)
PREVIEW_ROWS = 5
SOFT_DELETE_CHUNK = 500


def list_params(
    engine: Engine, entity: Entity, mode: str, date_start: date | None, date_end: date | None
) -> dict[str, Any]:
    params: dict[str, Any] = dict(entity.list_params)
    if mode == INCREMENTAL and entity.cursor_field:
        watermark = get_watermark(engine, entity.name)
        if watermark is not None:
            params["last_modified_time"] = format_zoho_time(watermark - OVERLAP)
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
    table = table_of(entity)
    totals = SyncTotals(entity.name, mode, watermark=get_watermark(engine, entity.name))
    params = list_params(engine, entity, mode, date_start, date_end)
    seen: set[str] = set()
    pages = client.pages(entity.api, entity.path, entity.list_key, entity.id_field, params)
    for records in prefetch(pages):
        totals.pages += 1
        now = utcnow()
        rows = [to_row(entity, table, r, now) for r in records]
        details = fetch_details(client, engine, entity, rows) if entity.line_items_table else {}
        with engine.begin() as conn:
            if entity.line_items_table:
                write_line_items(conn, entity, rows, details, now, totals)
            totals.counts += upsert(conn, table, rows, ["zoho_id"])
        note_page(totals, entity, rows, seen)
        log.info("%s: page %d, %s rows", entity.name, totals.pages, f"{totals.records:,}")
    if mode == FULL_REFRESH:
        totals.soft_deleted = soft_delete_missing(engine, entity, seen, date_start, date_end)
    if mode != RANGE:
        set_watermark(engine, entity.name, totals.watermark, full=mode == FULL_REFRESH)
    return totals


def note_page(totals: SyncTotals, entity: Entity, rows: list[dict], seen: set[str]) -> None:
    totals.records += len(rows)
    for row in rows:
        seen.add(row["zoho_id"])
        modified = row.get("zoho_last_modified_time")
        if modified and (totals.watermark is None or modified > totals.watermark):
            totals.watermark = modified
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
) -> dict[str, Mapping]:
    """Detail records, only for documents new or changed since their line items were stored."""
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
    details = {}
    for row in rows:
        known = stored.get(row["zoho_id"])
        if known is None or known != row["zoho_last_modified_time"]:
            body = client.get(entity.api, entity.detail_path.format(id=row["zoho_id"]))  # type: ignore[union-attr]
            details[row["zoho_id"]] = body[entity.record_key]
        else:
            row["details_modified_time"] = known
    return details


def write_line_items(
    conn: Connection,
    entity: Entity,
    rows: list[dict],
    details: Mapping[str, Mapping],
    now: datetime,
    totals: SyncTotals,
) -> None:
    """Replace the line items of every document whose detail was fetched, in its page's tx."""
    items_table = line_items_table_of(entity)
    assert items_table is not None and entity.line_items_parent_column
    parent = items_table.c[entity.line_items_parent_column]
    if details:
        conn.execute(delete(items_table).where(parent.in_(list(details))))
    new_items = []
    for row in rows:
        detail = details.get(row["zoho_id"])
        if detail is not None:
            row["details_modified_time"] = row["zoho_last_modified_time"]
            new_items += line_item_rows(entity, items_table, row["zoho_id"], detail, now)
    bulk_load(conn, items_table, new_items)
    totals.details_fetched += len(details)
    totals.line_items += len(new_items)


def soft_delete_missing(
    engine: Engine, entity: Entity, seen: set[str], date_start: date | None, date_end: date | None
) -> int:
    """Mark rows Zoho no longer returns as deleted: the deletes listing connectors miss."""
    table = table_of(entity)
    scope = [table.c.deleted_at.is_(None)]
    if entity.partitioned and date_start:
        scope.append(table.c.date >= date_start)
    if entity.partitioned and date_end:
        scope.append(table.c.date <= date_end)
    with engine.begin() as conn:
        live = set(conn.scalars(select(table.c.zoho_id).where(and_(*scope))))
        gone = sorted(live - seen)
        now = datetime.now(UTC)
        for start in range(0, len(gone), SOFT_DELETE_CHUNK):
            chunk = gone[start : start + SOFT_DELETE_CHUNK]
            conn.execute(update(table).where(table.c.zoho_id.in_(chunk)).values(deleted_at=now))
    return len(gone)
