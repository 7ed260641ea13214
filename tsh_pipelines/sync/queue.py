"""The webhook queue (`tds_sync_queue`): claiming batches, starting and settling events,
deferring them while Zoho is unavailable, purging old rows. Statuses: `tsh_db.queue`.

The queue row, not Dagster, is the truth about each event. The sensor claims a batch under
a fresh claim id (status `claimed`) and launches one run for it (run key = claim id). A
claim only reserves rows: no attempt is spent until the run actually starts an event, so a
run that waits in Dagster's queue, or never starts, costs nothing; its claim expires and the
rows are claimed again. The run takes each row just before applying it (only while the row
still carries its claim): that counts the attempt and starts the row's processing lease. A
run that dies mid-event leaves that row `processing` until the lease runs out; then it is
claimed again with the attempt already spent, so an event that kills its run ends in
`dead_letter` after the maximum attempts instead of looping forever.

`retry_count` counts attempts that started and did not succeed: the take counts one up
front (so a death has spent it), and success or a deferral gives it back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, or_, select, update
from sqlalchemy.engine import Connection, Engine, RowMapping

from tsh_db.dialect import claim_rows
from tsh_db.queue import CLAIMED, COMPLETED, DEAD_LETTER, FAILED, PENDING, PROCESSING
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.service import env_int
from tsh_db.types import utcnow

MAX_ATTEMPTS = env_int(os.environ, "TSH_QUEUE_MAX_ATTEMPTS", 10, minimum=1)
# Exponential backoff between failed attempts: base * 2^(attempt - 1), capped; with the
# defaults (30 s, 6 h, 10 attempts) an event is retried for about four hours.
RETRY_BASE_SECONDS = float(os.environ.get("TSH_QUEUE_RETRY_BASE_SECONDS", "30"))
RETRY_MAX_SECONDS = float(env_int(os.environ, "TSH_QUEUE_RETRY_MAX_SECONDS", 6 * 3600, minimum=1))
# How long one event may be applied before its row is presumed orphaned by a dead run.
LEASE = timedelta(minutes=env_int(os.environ, "TSH_QUEUE_LEASE_MINUTES", 10, minimum=1))
# How long a claimed row waits for its run to start it: generous, since runs queue behind
# each other in the `zoho_webhooks` pool; expiring costs the event no attempt.
CLAIM_EXPIRY = timedelta(minutes=env_int(os.environ, "TSH_QUEUE_CLAIM_MINUTES", 30, minimum=1))
RETENTION = timedelta(days=30)

q = tds_sync_queue


@dataclass
class Claim:
    claim_id: str
    rows: list[RowMapping]


def due(now: datetime) -> Any:
    return or_(
        and_(q.c.status.in_([PENDING, FAILED]), q.c.next_attempt_at <= now),
        # an expired claim (run never started) or lease (run died): claimable again
        and_(q.c.status.in_([CLAIMED, PROCESSING]), q.c.lease_expires_at < now),
    )


def claim_batch(engine: Engine, size: int, expiry: timedelta | None = None) -> Claim | None:
    """Reserve up to `size` due rows for one run; no attempt is counted here."""
    now = utcnow()
    claim_id = uuid.uuid4().hex
    with engine.begin() as conn:
        _dead_letter_spent(conn, now)
        rows = claim_rows(
            conn, q, due(now), [q.c.priority, q.c.id], size,
            {"status": CLAIMED, "claimed_by": claim_id,
             "lease_expires_at": now + (expiry or CLAIM_EXPIRY)},
        )  # fmt: skip
    return Claim(claim_id, rows) if rows else None


def _dead_letter_spent(conn: Connection, now: datetime) -> None:
    """Rows whose run died during their last allowed attempt go no further."""
    spent = and_(
        q.c.status == PROCESSING, q.c.lease_expires_at < now, q.c.retry_count >= MAX_ATTEMPTS
    )
    ended = conn.execute(
        update(q).where(spent).values(
            status=DEAD_LETTER, lease_expires_at=None, processing_completed_at=now,
            error_message="the run applying it died or timed out on every attempt",
        ).returning(q.c.inbox_event_id)
    ).scalars().all()  # fmt: skip
    _settle_inbox(conn, [i for i in ended if i is not None], FAILED, now)


def claimed(engine: Engine, claim_id: str) -> list[RowMapping]:
    """The rows this claim still holds that no run has started, with their inbox payloads."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(q, tds_inbox_events.c.raw_payload)
                .join(tds_inbox_events, tds_inbox_events.c.id == q.c.inbox_event_id, isouter=True)
                .where(q.c.claimed_by == claim_id, q.c.status == CLAIMED)
                .order_by(q.c.priority, q.c.id)
            ).mappings()
        )


def take(engine: Engine, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Start one attempt at a claimed row: counts it and starts its processing lease.

    None when the row no longer carries this claim (it expired and another claim has it).
    """
    now = utcnow()
    mine = and_(q.c.id == row["id"], q.c.claimed_by == row["claimed_by"], q.c.status == CLAIMED)
    with engine.begin() as conn:
        taken = claim_rows(
            conn, q, mine, [q.c.id], 1,
            {"status": PROCESSING, "retry_count": q.c.retry_count + 1,
             "lease_expires_at": now + LEASE, "processing_started_at": now},
        )  # fmt: skip
    return {**taken[0], "raw_payload": row.get("raw_payload")} if taken else None


def retry_delay(attempts: int) -> timedelta:
    # the exponent is bounded so a large attempt count cannot overflow the float
    seconds = RETRY_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 60)
    return timedelta(seconds=min(RETRY_MAX_SECONDS, seconds))


def settle(engine: Engine, row: Mapping[str, Any], error: str | None) -> str:
    """Mark a taken row completed, or failed with a backoff, or dead once its attempts are
    spent. Returns the status; a row this run no longer holds is left alone."""
    now = utcnow()
    mine = and_(q.c.id == row["id"], q.c.claimed_by == row["claimed_by"],
                q.c.status == PROCESSING)  # fmt: skip
    if error is None:
        status = COMPLETED
        values: dict[str, Any] = {
            "status": status, "retry_count": q.c.retry_count - 1, "error_message": None,
            "processing_completed_at": now, "lease_expires_at": None,
        }  # fmt: skip
    else:
        attempts = row["retry_count"]  # this attempt included: the take counted it
        status = DEAD_LETTER if attempts >= MAX_ATTEMPTS else FAILED
        values = {
            "status": status, "error_message": error[:2000], "lease_expires_at": None,
            "next_attempt_at": now + retry_delay(attempts),
            "processing_completed_at": now if status == DEAD_LETTER else None,
        }  # fmt: skip
    with engine.begin() as conn:
        done = conn.execute(update(q).where(mine).values(**values)).rowcount
        if done and row["inbox_event_id"] is not None and status != FAILED:
            # the inbox keeps the handbook's vocabulary: an event ends completed or failed
            inbox_status = COMPLETED if status == COMPLETED else FAILED
            _settle_inbox(conn, [row["inbox_event_id"]], inbox_status, now)
    return status


def defer(
    engine: Engine, row: Mapping[str, Any], reason: str, not_before: datetime | None = None
) -> tuple[int, timedelta]:
    """Zoho cannot serve us (outage, daily limit, spent budget): put the taken row and every
    row its claim still holds back to `pending`, later, spending no attempt.

    Deferrals are not counted, so the wait grows with the failing event's age instead: at
    least the retry base, at most the cap. An outage that lasts is retried at a halving rate;
    a blip costs one short wait; a spent daily limit waits until Zoho says its day resets
    (`not_before`). Returns (rows deferred, the wait).
    """
    now = utcnow()
    wait = min(
        timedelta(seconds=RETRY_MAX_SECONDS),
        max(timedelta(seconds=RETRY_BASE_SECONDS), now - row["queued_at"]),
    )
    if not_before is not None:
        wait = max(wait, not_before - now)
    this_one = and_(q.c.id == row["id"], q.c.status == PROCESSING)
    held = and_(q.c.claimed_by == row["claimed_by"], or_(q.c.status == CLAIMED, this_one))
    with engine.begin() as conn:
        deferred = conn.execute(
            update(q).where(held).values(
                status=PENDING, next_attempt_at=now + wait, lease_expires_at=None,
                retry_count=case((q.c.status == PROCESSING, q.c.retry_count - 1),
                                 else_=q.c.retry_count),
                error_message=f"deferred, no attempt spent: {reason}"[:2000],
            )
        ).rowcount  # fmt: skip
    return deferred or 0, wait


def _settle_inbox(conn: Connection, ids: list[int], status: str, now: datetime) -> None:
    if ids:
        conn.execute(
            update(tds_inbox_events)
            .where(tds_inbox_events.c.id.in_(ids))
            .values(status=status, processed_at=now)
        )


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
