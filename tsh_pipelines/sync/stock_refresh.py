"""Stock follows the documents that move it: scheduled with the document, refreshed in batches.

Zoho moves stock through documents (sales orders, invoices, bills, credit notes, inventory
adjustments, transfer orders) and sends no item webhook for it, nor, as far as anyone knows,
a new item `last_modified_time`. So every applied change to such a document, from a webhook,
a listing or a repair, writes the ids of the items on its lines (before and after the
change) into `tds_stock_refresh`, in the transaction of the document write: no move is lost
to a crash between the two. One row per item: refreshes coalesce.

A refresh claims what is due, reads the totals from Books' `itemdetails` (a hundred items a
call; Books item records carry stock totals), then each item's per-warehouse stock from
Inventory (one call per item: Zoho has no batch for it). Both are written under the stock
rule of the one write path, the consumer catalogue in the same transaction. A row is due
while it was requested after its last refresh began: a document changed during a refresh
is refreshed again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from tsh_db.schema import products, tds_stock_refresh
from tsh_db.types import utcnow
from tsh_db.writes import write_rows
from tsh_pipelines.sync.mapping import product_row
from tsh_pipelines.sync.products import PRODUCTS, stock_values, write_stock
from tsh_pipelines.sync.records import delete_records
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run
from tsh_pipelines.sync.stock import fetch_warehouse_stock
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import fetch_items

# A claim not settled within this long (its run died) is taken again.
LEASE = timedelta(minutes=10)
CLAIM_LIMIT = 500  # items per refresh: five itemdetails calls and their Inventory details
# A stock read this long after a document's version shows its move (Zoho's read lag, and
# our clock against Zoho's, with room to spare).
FRESH_AFTER = timedelta(minutes=5)
# A move older than this (a document listed long after it changed: a first sync, a backfill)
# is not refreshed item by item: the sync's own Inventory step reads every item's stock, and
# the hourly stock reconciliation finds what none read. A first sync would otherwise spend an
# Inventory call on every item its invoices name.
MAX_AGE = timedelta(hours=1)
T = tds_stock_refresh
RUN_ENTITY = "stock_refresh"  # its tds_sync_runs rows
log = logging.getLogger(__name__)


def _due(now: datetime) -> object:
    unclaimed = or_(T.c.claimed_at.is_(None), T.c.claimed_at < now - LEASE)
    newer = or_(T.c.refreshed_at.is_(None), T.c.requested_at > T.c.refreshed_at)
    return and_(unclaimed, newer)


def due_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.scalars(select(T.c.item_zoho_id).where(_due(utcnow()))).all())


@dataclass
class Claim:
    claim_id: str
    item_ids: list[str]
    claimed_at: datetime
    reasons: dict[str, int] = field(default_factory=dict)
    moved: dict[str, datetime | None] = field(default_factory=dict)


def claim(engine: Engine, limit: int = CLAIM_LIMIT) -> Claim | None:
    """Take up to `limit` due items, oldest request first, for one refresh."""
    now = utcnow()
    claim_id = uuid.uuid4().hex
    with engine.begin() as conn:
        pick = select(T.c.item_zoho_id).where(_due(now)).order_by(T.c.requested_at).limit(limit)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(conn.scalars(pick))
        if not ids:
            return None
        conn.execute(
            update(T).where(T.c.item_zoho_id.in_(ids)).values(claim_id=claim_id, claimed_at=now)
        )
        reasons: dict[str, int] = {}
        moved: dict[str, datetime | None] = {}
        query = select(T.c.item_zoho_id, T.c.reason, T.c.moved_at).where(T.c.claim_id == claim_id)
        for item, reason, at in conn.execute(query):
            reasons[reason or "unknown"] = reasons.get(reason or "unknown", 0) + 1
            moved[item] = at
    return Claim(claim_id, sorted(ids), now, reasons, moved)


def needed(engine: Engine, taken: Claim) -> list[str]:
    """The claimed items whose stock was not read well after the move, of moves less than
    `MAX_AGE` old: a listing of old documents (a first sync, a backfill) schedules items
    whose stock the Inventory step reads anyway, and those cost no call."""
    p = products.c
    with engine.connect() as conn:
        reads = {
            z: (s, w) for z, s, w in conn.execute(
                select(p.zoho_id, p.stock_synced_at, p.warehouse_stock_synced_at)
                .where(p.zoho_id.in_(taken.item_ids))
            )
        }  # fmt: skip

    oldest = utcnow() - MAX_AGE

    def fresh(item: str) -> bool:
        at, (stock, warehouses) = taken.moved.get(item), reads.get(item, (None, None))
        if at is not None and at < oldest:
            return True  # long past: the Inventory step and the hourly reconciliation cover it
        return at is not None and all(r is not None and r >= at + FRESH_AFTER
                                      for r in (stock, warehouses))  # fmt: skip

    return [i for i in taken.item_ids if not fresh(i)]


def release(engine: Engine, done: Claim) -> None:
    """The claim's items were refreshed as of its start: a later request stays due."""
    with engine.begin() as conn:
        conn.execute(
            update(T)
            .where(T.c.claim_id == done.claim_id)
            .values(claim_id=None, claimed_at=None, refreshed_at=done.claimed_at)
        )


def refresh_totals(
    client: ZohoClient, engine: Engine, item_ids: Sequence[str], totals: SyncTotals
) -> set[str]:
    """Stock totals of these items from Books, a hundred a call, where its item records carry
    them (unconfirmed in Zoho's documentation: records without them are left to the
    Inventory step); returns the ids Zoho says are gone."""
    with engine.connect() as conn:
        known = set(
            conn.scalars(select(products.c.zoho_id).where(products.c.zoho_id.in_(item_ids)))
        )
    rows, unknown, gone = [], [], set()
    for zoho_id, found in fetch_items(client, item_ids):
        if found is None:
            gone.add(zoho_id)
            continue
        read_at = utcnow()
        if zoho_id not in known:  # a document names an item we have not stored yet
            unknown.append(product_row(found[0], found[1], read_at))
        if found[0].get("stock_on_hand") is not None:
            rows.append({"zoho_id": zoho_id, **stock_values(dict(found[0]), read_at)})
    with engine.begin() as conn:
        write_rows(conn, products, unknown)
        totals.counts.updated += write_stock(conn, rows)
        if gone:
            totals.soft_deleted += delete_records(conn, PRODUCTS, gone, client.now())
    totals.records += len(rows)
    return gone


def refresh_warehouses(
    client: ZohoClient, engine: Engine, item_ids: Sequence[str], totals: SyncTotals
) -> None:
    """Per-warehouse (or per-location) stock of these items, and their totals again, from
    one Inventory detail each (Zoho has no batch for it)."""
    fetch_warehouse_stock(client, engine, dict.fromkeys(item_ids), totals, log, with_totals=True)


def refresh_due(client: ZohoClient, engine: Engine, totals: SyncTotals) -> list[str]:
    """One claim's refresh, totals then warehouses, in this process; the items refreshed.
    Each step leaves a `tds_sync_runs` row (`stock_refresh`: items, Zoho calls)."""
    taken = claim(engine)
    if taken is None:
        return []
    todo = needed(engine, taken)
    if todo:
        gone = recorded_step(client, engine, "totals", todo,
                             lambda: refresh_totals(client, engine, todo, totals))  # fmt: skip
        todo = [i for i in todo if i not in gone]
        recorded_step(client, engine, "warehouses", todo,
                      lambda: refresh_warehouses(client, engine, todo, totals))  # fmt: skip
    release(engine, taken)
    return todo


def recorded_step(
    client: ZohoClient, engine: Engine, step: str, items: list[str], work: Any,
    dagster_run_id: str | None = None,
) -> Any:  # fmt: skip
    """`work()`, recorded as a `tds_sync_runs` row (`stock_refresh`, `step`): items, calls."""
    run_id, calls = start_run(engine, RUN_ENTITY, step, dagster_run_id), client.stats.total
    result = work()
    done = SyncTotals(RUN_ENTITY, step, records=len(items))
    done.counts.updated = len(items)
    finish_run(engine, run_id, done, client.stats.total - calls)
    return result
