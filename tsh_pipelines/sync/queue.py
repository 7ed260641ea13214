"""The webhook queue (`tds_sync_queue`): claiming batches, settling rows, purging old ones.

The queue row, not Dagster, is the truth about each event. A batch is claimed under a fresh
claim id with a lease; the run launched for it (run key = claim id, so each batch attempt
runs once) processes only rows still carrying that claim. A run that dies leaves its rows
`processing` until the lease runs out; then they are claimed again, and that counts as an
attempt, so an event that kills its run ends in `dead_letter` instead of looping forever.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, exists, or_, select, update
from sqlalchemy.engine import Engine, RowMapping

from tsh_db.dialect import claim_rows
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import utcnow

PENDING, PROCESSING, COMPLETED = "pending", "processing", "completed"
FAILED, DEAD_LETTER = "failed", "dead_letter"
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=int(os.environ.get("TSH_QUEUE_LEASE_MINUTES", "10")))
RETRY_BASE_SECONDS = float(os.environ.get("TSH_QUEUE_RETRY_BASE_SECONDS", "30"))
RETENTION = timedelta(days=30)

q = tds_sync_queue


@dataclass
class Claim:
    claim_id: str
    rows: list[RowMapping]


def due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(q.c.status.in_([PENDING, FAILED]), q.c.next_attempt_at <= now),
        and_(q.c.status == PROCESSING, q.c.lease_expires_at < now),
    )


def claim_batch(engine: Engine, size: int, lease: timedelta = LEASE) -> Claim | None:
    now = utcnow()
    claim_id = uuid.uuid4().hex
    with engine.begin() as conn:
        rows = claim_rows(
            conn, q, due(now), [q.c.priority, q.c.id], size,
            {
                # a lease that ran out means a run died holding the row: that was an attempt
                "retry_count": q.c.retry_count + case((q.c.status == PROCESSING, 1), else_=0),
                "status": PROCESSING, "claimed_by": claim_id, "lease_expires_at": now + lease,
                "processing_started_at": now,
            },
        )  # fmt: skip
        # a reclaimed row that has now used up its attempts goes no further
        spent = [r["id"] for r in rows if r["retry_count"] >= MAX_ATTEMPTS]
        if spent:
            _dead_letter(conn, spent, "the run processing it died or timed out too often")
    rows = [r for r in rows if r["retry_count"] < MAX_ATTEMPTS]
    return Claim(claim_id, rows) if rows else None


def claimed(engine: Engine, claim_id: str) -> list[RowMapping]:
    """The rows still held by this claim, with their inbox payloads."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(q, tds_inbox_events.c.raw_payload)
                .join(tds_inbox_events, tds_inbox_events.c.id == q.c.inbox_event_id, isouter=True)
                .where(q.c.claimed_by == claim_id, q.c.status == PROCESSING)
                .order_by(q.c.id)
            ).mappings()
        )


def settle(engine: Engine, row: RowMapping, error: str | None) -> str:
    """Mark one row completed, or failed with a backoff, or dead-lettered after 5 attempts."""
    now = utcnow()
    with engine.begin() as conn:
        mine = and_(q.c.id == row["id"], q.c.claimed_by == row["claimed_by"])
        if error is None:
            status = COMPLETED
            conn.execute(update(q).where(mine).values(
                status=status, processing_completed_at=now, error_message=None,
                lease_expires_at=None))  # fmt: skip
        else:
            attempts = row["retry_count"] + 1
            status = DEAD_LETTER if attempts >= MAX_ATTEMPTS else FAILED
            delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))
            conn.execute(update(q).where(mine).values(
                status=status, retry_count=attempts, error_message=error[:2000],
                next_attempt_at=now + delay, lease_expires_at=None,
                processing_completed_at=now if status == DEAD_LETTER else None))  # fmt: skip
        if row["inbox_event_id"] is not None and status != FAILED:
            # the inbox keeps the handbook's vocabulary: an event ends completed or failed
            conn.execute(
                update(tds_inbox_events)
                .where(tds_inbox_events.c.id == row["inbox_event_id"])
                .values(status=COMPLETED if status == COMPLETED else FAILED, processed_at=now)
            )
    return status


def _dead_letter(conn, ids: list[int], reason: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        update(q).where(q.c.id.in_(ids))
        .values(status=DEAD_LETTER, error_message=reason, lease_expires_at=None)
    )  # fmt: skip


def purge(engine: Engine, now: datetime | None = None) -> tuple[int, int]:
    """Delete settled queue rows older than 30 days, then inbox rows nothing points at."""
    cutoff = (now or utcnow()) - RETENTION
    with engine.begin() as conn:
        queue = conn.execute(
            delete(q).where(q.c.status.in_([COMPLETED, DEAD_LETTER]), q.c.queued_at < cutoff)
        ).rowcount
        orphan = ~exists().where(q.c.inbox_event_id == tds_inbox_events.c.id)
        inbox = conn.execute(
            delete(tds_inbox_events).where(tds_inbox_events.c.received_at < cutoff, orphan)
        ).rowcount
    return queue or 0, inbox or 0
