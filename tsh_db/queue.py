"""The webhook queue's statuses, and replaying dead letters: what the receiver and the
pipelines both do to `tds_sync_queue`, so it lives here (the receiver cannot import them).

A row's life: `pending` (due at `next_attempt_at`) → `claimed` (the sensor took it for a run,
`claimed_by`, until the claim expires at `lease_expires_at`) → `processing` (the run started
it: one attempt counted, leased until `lease_expires_at`) → `completed`, or `failed` (due
again at `next_attempt_at`), or `dead_letter` once its attempts are spent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import utcnow

PENDING, CLAIMED, PROCESSING = "pending", "claimed", "processing"
COMPLETED, FAILED, DEAD_LETTER = "completed", "failed", "dead_letter"
STATUSES = (PENDING, CLAIMED, PROCESSING, COMPLETED, FAILED, DEAD_LETTER)

# Exactly the columns a replay writes: the receiver's database role may update these and
# no others (tsh_db.roles), so it can replay but never rewrite an event.
REPLAY_QUEUE_COLUMNS = (
    "status", "retry_count", "next_attempt_at", "error_message", "claimed_by",
    "lease_expires_at", "processing_started_at", "processing_completed_at",
)  # fmt: skip
REPLAY_INBOX_COLUMNS = ("status", "processed_at")

q = tds_sync_queue


class ReplaySelectionError(ValueError):
    """The replay request does not say which dead letters; the message says how to."""


def replay_dead_letters(
    engine: Engine,
    *,
    ids: Sequence[int] | None = None,
    entity: str | None = None,
    every: bool = False,
) -> int:
    """Put dead-letter rows back to `pending`, due now, with fresh attempts; returns how many.

    Exactly one selector: `ids` (tds_sync_queue ids), `entity` (a registry name such as
    `products`) or `every`. Rows that are not dead letters are never touched, so a replay
    cannot disturb an event that is pending or being applied.
    """
    chosen = and_(q.c.status == DEAD_LETTER, _selector(ids, entity, every))
    now = utcnow()
    with engine.begin() as conn:
        # The inbox first, through a subquery: `every` may select more rows than one
        # statement can bind as parameters.
        conn.execute(
            update(tds_inbox_events)
            .where(tds_inbox_events.c.id.in_(select(q.c.inbox_event_id).where(chosen)))
            .values(status=PENDING, processed_at=None)
        )
        replayed = conn.execute(
            update(q).where(chosen).values(
                status=PENDING, retry_count=0, next_attempt_at=now, error_message=None,
                claimed_by=None, lease_expires_at=None, processing_started_at=None,
                processing_completed_at=None,
            )
        ).rowcount  # fmt: skip
    return replayed or 0


def _selector(ids: Sequence[int] | None, entity: str | None, every: bool) -> ColumnElement[bool]:
    given = [name for name, value in (("ids", ids), ("entity", entity), ("all", every)) if value]
    if len(given) != 1:
        found = f" (got {' and '.join(given)})" if given else ""
        raise ReplaySelectionError(
            "Say which dead letters to replay with exactly one of: ids (a list of "
            "tds_sync_queue ids), entity (e.g. products) or all: true" + found + "."
        )
    if ids:
        return q.c.id.in_(list(ids))
    if entity:
        return q.c.entity_type == entity
    return true()
