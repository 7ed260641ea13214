"""The outbox rows' life: insert, claim, fenced progress, settle, defer, replay, cancel.

Statuses: `pending` (waiting for its turn, `next_attempt_at`), `processing` (a push holds it
under a lease), `synced` (Zoho has every record it needs), `failed` (Zoho or our validation
refused it: code and message on the row; replayed by hand once fixed), `cancelled` (never sent,
or voided in Zoho: `voided_at`). A synced row whose `cancelled_at` is set is due again, for
the void. Every write a push makes is fenced on its claim: a push whose lease ran out and was
taken over changes nothing more (`LostClaim`).

Free of Dagster: the receiver inserts, cancels and replays through this module too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from tsh_db.dialect import claim_rows
from tsh_db.schema import tds_outbox
from tsh_db.service import env_int
from tsh_db.types import utcnow
from tsh_pipelines.outbox.validation import Order

PENDING, PROCESSING, SYNCED, FAILED, CANCELLED = (
    "pending", "processing", "synced", "failed", "cancelled",
)  # fmt: skip
STATUSES = (PENDING, PROCESSING, SYNCED, FAILED, CANCELLED)
# Longer than the slowest push (a call's own waits on Zoho's limits included): a push whose
# lease runs out while it still runs could be taken over and send twice.
LEASE = timedelta(seconds=env_int(os.environ, "TSH_OUTBOX_LEASE_SECONDS", 600, minimum=5))
# A run that dies with a row this many times leaves it `failed` instead of dying again.
MAX_ATTEMPTS = env_int(os.environ, "TSH_OUTBOX_MAX_ATTEMPTS", 5, minimum=1)
DEFER_BASE = timedelta(seconds=2)
DEFER_MAX = timedelta(minutes=10)
PREFIX = "TDS-"
o = tds_outbox


class LostClaim(RuntimeError):
    """Another push took this row over (its lease had run out): stop touching it."""


def reference(outbox_id: int) -> str:
    """Zoho's `reference_number` for an outbox row, what an ambiguous write is found by."""
    return f"{PREFIX}{outbox_id}"


def insert(engine: Engine, order: Order, payload: Mapping[str, Any]) -> tuple[RowMapping, bool]:
    """The order's row, and whether it is new: a repeat of (kind, external_id) answers the
    row already stored (the sender retried its POST), and stores nothing."""
    now = utcnow()
    values = {**order.columns(), "payload": dict(payload), "created_at": now,
              "next_attempt_at": now, "updated_at": now}  # fmt: skip
    try:
        with engine.begin() as conn:
            new_id = conn.execute(o.insert().values(**values).returning(o.c.id)).scalar_one()
            return conn.execute(select(o).where(o.c.id == new_id)).mappings().one(), True
    except IntegrityError:
        if order.external_id is None:
            raise
    with engine.connect() as conn:
        same = and_(o.c.kind == order.kind, o.c.external_id == order.external_id)
        return conn.execute(select(o).where(same)).mappings().one(), False


def due(now: datetime) -> Any:
    return or_(
        and_(o.c.status == PENDING, o.c.next_attempt_at <= now),
        and_(o.c.status == PROCESSING, o.c.lease_expires_at < now),
        and_(o.c.status == SYNCED, o.c.cancelled_at.is_not(None), o.c.voided_at.is_(None),
             o.c.next_attempt_at <= now),
    )  # fmt: skip


def due_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(o).where(due(utcnow()))) or 0)


def claim(engine: Engine) -> RowMapping | None:
    """The next due row, held by a fresh claim under a lease; the attempt counted up front,
    so a run that dies with it has spent one. A row that exhausted its attempts that way
    fails instead of being taken again."""
    now = utcnow()
    with engine.begin() as conn:
        spent = and_(o.c.status == PROCESSING, o.c.lease_expires_at < now,
                     o.c.attempts >= MAX_ATTEMPTS)  # fmt: skip
        conn.execute(update(o).where(spent).values(
            status=FAILED, lease_expires_at=None, updated_at=now, error_code=None,
            error_message="the push died or timed out on every attempt; see the run logs",
        ))  # fmt: skip
        rows = claim_rows(conn, o, due(now), [o.c.id], 1, {
            "status": PROCESSING, "claimed_by": uuid.uuid4().hex,
            "lease_expires_at": now + LEASE, "attempts": o.c.attempts + 1, "updated_at": now,
        })  # fmt: skip
    return rows[0] if rows else None


def progress(engine: Engine, row: Mapping[str, Any], **values: Any) -> None:
    """Record a step (a Zoho id, a sent-at mark) while the claim still holds; the lease is
    renewed with it. LostClaim when another push has the row now."""
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(o).where(_mine(row)).values(**values, updated_at=now,
                                               lease_expires_at=now + LEASE)
        ).rowcount  # fmt: skip
    if not done:
        raise LostClaim(f"outbox row {row['id']} was taken over by another push")


def _mine(row: Mapping[str, Any]) -> Any:
    return and_(o.c.id == row["id"], o.c.claimed_by == row["claimed_by"],
                o.c.status == PROCESSING)  # fmt: skip


def settle(engine: Engine, row: Mapping[str, Any], status: str, calls: int, **values: Any) -> bool:
    """End this push of the row: synced, cancelled or failed (an attempt it spent)."""
    now = utcnow()
    if status == SYNCED:
        values.setdefault("error_code", None)
        values.setdefault("error_message", None)
    with engine.begin() as conn:
        return bool(conn.execute(update(o).where(_mine(row)).values(
            status=status, lease_expires_at=None, updated_at=now,
            zoho_calls=o.c.zoho_calls + calls, **values,
        )).rowcount)  # fmt: skip


def defer(
    engine: Engine, row: Mapping[str, Any], calls: int, reason: str,
    until: datetime | None = None, spend: bool = False,
) -> timedelta:  # fmt: skip
    """Back to pending for later, the attempt given back unless `spend`: Zoho was
    unavailable (or our budget spent), which is not the order's fault."""
    now = utcnow()
    wait = min(DEFER_MAX, DEFER_BASE * 2 ** min(int(row["deferrals"]), 20))
    if until is not None and until > now + wait:
        wait = until - now
    with engine.begin() as conn:
        conn.execute(update(o).where(_mine(row)).values(
            status=PENDING, lease_expires_at=None, updated_at=now, next_attempt_at=now + wait,
            attempts=o.c.attempts - (0 if spend else 1), deferrals=o.c.deferrals + 1,
            zoho_calls=o.c.zoho_calls + calls, error_message=reason[:2000],
        ))  # fmt: skip
    return wait


def replay(engine: Engine, ids: Iterable[int]) -> int:
    """Failed rows back to pending, due now, with fresh attempts: the fix (in Zoho, or in the
    row's payload) is made, so the next push tries again from the step it had reached."""
    now = utcnow()
    with engine.begin() as conn:
        return int(conn.execute(
            update(o).where(o.c.id.in_(list(ids)), o.c.status == FAILED).values(
                status=PENDING, attempts=0, deferrals=0, next_attempt_at=now, updated_at=now,
                error_code=None, error_message=None,
            )
        ).rowcount)  # fmt: skip


def cancel(engine: Engine, outbox_id: int) -> RowMapping | None:
    """Ask for the order's cancellation: a row never sent is never sent; one Zoho has is
    voided there by the next push. The row as it stands after; None when there is none."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(update(o).where(o.c.id == outbox_id, o.c.cancelled_at.is_(None),
                                     o.c.status != CANCELLED)
                     .values(cancelled_at=now, next_attempt_at=now, updated_at=now))  # fmt: skip
        return conn.execute(select(o).where(o.c.id == outbox_id)).mappings().first()


def failed_rows(conn: Connection, limit: int) -> list[RowMapping]:
    query = select(o).where(o.c.status == FAILED).order_by(o.c.id.desc()).limit(limit)
    return list(conn.execute(query).mappings())


def counts(conn: Connection) -> dict[str, int]:
    found = dict(conn.execute(select(o.c.status, func.count()).group_by(o.c.status)).all())
    return {s: int(found.get(s, 0)) for s in STATUSES}
