"""Line items of stored documents whose line items are older than the document.

Zoho gives a document's line items only from its detail endpoint, one call per document.
The replica knows which documents need that call without asking Zoho: a document's
`details_modified_time` is the version its line items were read at, so every live document
where it differs from `zoho_last_modified_time` (or is missing) is stale. This is what the
line-items assets materialize: after a listing of documents alone (cheap: 200 a call), or
alone for a date range, and as a catch-up after a listing that fetched details itself.

Each detail is written through the one write path (`write_record`): the row and its line
items are of one version, never replacing a newer one; a 404 confirms a delete.

Free of Dagster.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.engine import Engine

from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.mapping import count_children, month_of
from tsh_pipelines.sync.records import STALE, delete_records, write_record
from tsh_pipelines.sync.replicate import sync_entity
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.tables import table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_record, unless_gone

LOG_EVERY = 50  # documents between progress lines


def stale_documents(
    engine: Engine, entity: Entity, date_start: date | None, date_end: date | None
) -> list[tuple[str, date | None]]:
    """(zoho_id, date) of live documents in the range whose line items are not current."""
    t = table_of(entity)
    scope = [
        t.c.deleted_at.is_(None),
        or_(t.c.details_modified_time.is_(None),
            t.c.details_modified_time != t.c.zoho_last_modified_time),
    ]  # fmt: skip
    if date_start:
        scope.append(t.c.date >= date_start)
    if date_end:
        scope.append(t.c.date <= date_end)
    day = t.c.date if entity.partitioned else literal(None).label("date")  # contacts: none
    with engine.connect() as conn:
        order = [t.c.date] if entity.partitioned else []
        rows = conn.execute(select(t.c.zoho_id, day).where(and_(*scope)).order_by(*order, t.c.id))
        return [(row.zoho_id, row.date) for row in rows]


def refresh_line_items(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    mode: str,
    *,
    date_start: date | None = None,
    date_end: date | None = None,
    log: logging.Logger | logging.LoggerAdapter,
) -> SyncTotals:
    """Fetch and store the details of every stale document in the range.

    `touched_partitions` holds the months whose line items changed; `soft_deleted` the
    documents Zoho answered 404 for."""
    assert entity.line_items_table, f"{entity.name} has no line items"
    totals = SyncTotals(entity.line_items_table, mode)
    todo = stale_documents(engine, entity, date_start, date_end)
    log.info("%s: %d documents whose line items are older than the document",
             entity.line_items_table, len(todo))  # fmt: skip
    for n, (zoho_id, day) in enumerate(todo, 1):
        found = unless_gone(lambda z=zoho_id: fetch_record(client, entity, z))
        totals.details_fetched += 1
        if found is None:  # deleted in Zoho since it was stored: the 404 confirms it
            with engine.begin() as conn:
                totals.soft_deleted += delete_records(conn, entity, [zoho_id], client.now())
        else:
            record, source = found
            outcome, _ = write_record(engine, entity, record, source)
            if outcome != STALE:  # a newer version already stored keeps its own line items
                totals.line_items += count_children(entity, record)
                totals.records += 1
        if day is not None:
            totals.touched_partitions.add(month_of(day))  # type: ignore[arg-type]
        if n % LOG_EVERY == 0 or n == len(todo):
            log.info("%s: %s of %s documents", entity.line_items_table, f"{n:,}", f"{len(todo):,}")
    return totals


def sync_with_details(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    mode: str,
    log: logging.Logger | logging.LoggerAdapter,
    details_log: logging.Logger | logging.LoggerAdapter | None = None,
) -> SyncTotals:
    """An unpartitioned entity's listing (details of what it lists new or changed), then the
    details a listing left stale: none after a clean one; a migrated row or a failed run's."""
    totals = sync_entity(client, engine, entity, mode=mode, log=log)
    if entity.children:
        late = refresh_line_items(client, engine, entity, mode, log=details_log or log)
        totals.details_fetched += late.details_fetched
        totals.line_items += late.line_items
    return totals
