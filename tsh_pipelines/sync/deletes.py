"""Deletes only when Zoho confirms them.

Zoho never lists deletions, and a full listing is no proof of one: Zoho pages by offset, so a
delete while the listing runs shifts every later record up a place and one live record is
never seen; an empty or truncated answer would make a whole table look deleted. A row missing
from a full listing is therefore asked for by id: a confirmed 404 (code 1002: for items from
both Books and Inventory, for other records twice, `ZOHO_DELETE_CONFIRM_SECONDS` apart; see
`zoho.catalog`) tombstones it, an answer repairs it through the write path. Entities Zoho
serves no record endpoint for (settings: warehouses, taxes…, one small listing) are listed a
second time instead.
Before any of that, a refresh that would delete more than `ZOHO_MAX_DELETE_SHARE` of an
entity deletes nothing and fails.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.engine import Engine

from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.records import delete_records
from tsh_pipelines.sync.tables import table_of
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_records

# Below this many candidates the share does not apply: deleting 1 of 3 price books is normal.
ALWAYS_CONFIRMABLE = 10

Repair = Callable[[dict, str], None]  # writes one record Zoho still has (record, source)


class DeleteShareExceeded(RuntimeError):
    """A full refresh would delete more of an entity than ZOHO_MAX_DELETE_SHARE allows."""


def max_delete_share() -> float:
    return float(os.environ.get("ZOHO_MAX_DELETE_SHARE", "0.05"))


def live_ids(
    engine: Engine,
    entity: Entity,
    date_start: date | None,
    date_end: date | None,
    where: ColumnElement[bool] | None = None,
) -> set:
    table = table_of(entity)
    scope = [table.c.deleted_at.is_(None)]
    if where is not None:
        scope.append(where)
    if entity.partitioned and date_start:
        scope.append(table.c.date >= date_start)
    if entity.partitioned and date_end:
        scope.append(table.c.date <= date_end)
    with engine.connect() as conn:
        return set(conn.scalars(select(table.c.zoho_id).where(and_(*scope))))


def check_share(entity: Entity, candidates: int, live: int) -> None:
    share = max_delete_share()
    if candidates > ALWAYS_CONFIRMABLE and candidates > share * live:
        raise DeleteShareExceeded(
            f"{entity.name}: the full refresh found {candidates:,} of {live:,} live rows "
            f"missing from Zoho's listing ({candidates / live:.1%}), more than "
            f"ZOHO_MAX_DELETE_SHARE={share:g} allows, so nothing was deleted. If Zoho really "
            "lost that many records, raise ZOHO_MAX_DELETE_SHARE for one run; otherwise the "
            "listing was incomplete (a glitch or a wrong filter) and the next run will retry."
        )


def confirm_missing(
    client: ZohoClient,
    engine: Engine,
    entity: Entity,
    seen: set[str],
    repair: Repair,
    *,
    date_start: date | None = None,
    date_end: date | None = None,
    log: logging.Logger | logging.LoggerAdapter | None = None,
    where: ColumnElement[bool] | None = None,
) -> tuple[int, int]:
    """Tombstone the live rows Zoho confirms gone; (deleted, repaired). Raises on the share.

    `where` narrows the rows this listing answers for (products: Books' or Inventory's)."""
    live = live_ids(engine, entity, date_start, date_end, where)
    missing = sorted(live - seen)
    if not missing:
        return 0, 0
    check_share(entity, len(missing), len(live))
    if not entity.by_id:
        gone, repaired = _second_listing(client, entity, missing), 0
    else:
        gone, repaired = _ask_each(client, entity, missing, repair)
    deleted = 0
    if gone:
        with engine.begin() as conn:
            deleted = delete_records(conn, entity, gone, client.now())
    if log:
        log.info("%s: %d rows missing from the listing: %d confirmed deleted, %d still in Zoho",
                 entity.name, len(missing), deleted, repaired)  # fmt: skip
    return deleted, repaired


def _ask_each(
    client: ZohoClient, entity: Entity, ids: Iterable[str], repair: Repair
) -> tuple[list[str], int]:
    gone: list[str] = []
    repaired = 0
    for zoho_id, found in fetch_records(client, entity, ids):
        if found is None:
            gone.append(zoho_id)
            continue
        repair(*found)  # the listing missed it (an offset shift): write it now
        repaired += 1
    return gone, repaired


def _second_listing(client: ZohoClient, entity: Entity, missing: list[str]) -> list[str]:
    """For records Zoho serves no endpoint for: what a second listing does not return either."""
    again = {str(r[entity.id_field]) for _, page in Listing.of(client, entity, entity.list_params)
             for r in page}  # fmt: skip
    return [m for m in missing if m not in again]
