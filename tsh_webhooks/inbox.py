"""Writing a delivery: the inbox row and its queue row in one transaction, exactly once.

Deduplication rests on the unique `event_id`, not on a look-before-insert: `INSERT … ON
CONFLICT DO NOTHING` lets concurrent copies of one delivery race safely on both dialects
(PostgreSQL makes the losers wait for the winner's commit; SQLite's `BEGIN IMMEDIATE`
serialises writers). The receiver needs only INSERT and SELECT for this, which is all the
`tsh_webhooks` database role grants.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_webhooks.delivery import Delivery, Rejected
from tsh_webhooks.models import DeliveryResult

log = logging.getLogger(__name__)

# The queue consumer orders by priority; the receiver has no reason to rank one Zoho event
# above another, so every event gets the schema's default.
DEFAULT_PRIORITY = 5


def store(engine: Engine, delivery: Delivery, retry_after: int) -> DeliveryResult:
    """Store the delivery (or find its earlier copy); returns only after the commit."""
    try:
        with engine.begin() as conn:
            result = _insert(conn, delivery)
    except DataError as exc:
        # Input the database refuses (e.g. a NUL character in jsonb): a retry cannot help.
        log.warning(
            "%s %s refused by the database: %s", delivery.route, delivery.entity_id, exc.orig
        )
        raise Rejected(
            422, "invalid",
            f"The database cannot store this {delivery.entity.record_key} record "
            f"({str(exc.orig).strip().splitlines()[0]}); fix the record's content in Zoho.",
        ) from None  # fmt: skip
    except (DBAPIError, PoolTimeout) as exc:
        log.error("cannot store %s delivery for %s %s: %s", delivery.route,
                  delivery.entity.name, delivery.entity_id, getattr(exc, "orig", exc))  # fmt: skip
        raise Rejected(
            503, "unavailable",
            "The inbox database is unavailable, so nothing was stored. Zoho will redeliver; "
            f"retry after {retry_after} seconds. Operators: check GET /health and DATABASE_URL.",
            headers={"Retry-After": str(retry_after)},
        ) from None  # fmt: skip
    log.info("%s %s %s %s: inbox %s, queue %s", result.status, delivery.entity.name,
             delivery.entity_id, delivery.event, result.inbox_id, result.queue_id)  # fmt: skip
    return result


def _insert_stmt(conn: Connection, values: dict[str, Any]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(tds_inbox_events)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(tds_inbox_events.c.id)
    )


def _insert(conn: Connection, d: Delivery) -> DeliveryResult:
    inbox_values = {
        "event_id": d.event_id,
        "source_type": "zoho",
        "entity_type": d.entity.name,
        "entity_id": d.entity_id,
        "event_type": d.event,
        "raw_payload": d.payload,
        "received_at": d.received_at,
        "status": "pending",
    }
    inbox_id = conn.execute(_insert_stmt(conn, inbox_values)).scalar_one_or_none()
    answer = {"event_id": d.event_id, "entity_type": d.entity.name, "entity_id": d.entity_id,
              "event": d.event}  # fmt: skip
    if inbox_id is None:
        return DeliveryResult(status="duplicate", **answer, **_earlier(conn, d.event_id))
    queue_id = conn.execute(
        tds_sync_queue.insert()
        .values(
            inbox_event_id=inbox_id,
            entity_type=d.entity.name,
            zoho_entity_id=d.entity_id,
            event_type=d.event,
            priority=DEFAULT_PRIORITY,
            status="pending",
            queued_at=d.received_at,
            next_attempt_at=d.received_at,
        )
        .returning(tds_sync_queue.c.id)
    ).scalar_one()
    return DeliveryResult(status="queued", inbox_id=inbox_id, queue_id=queue_id, **answer)


def _earlier(conn: Connection, event_id: str) -> dict[str, int | None]:
    """The rows the first copy of a delivery wrote (its commit is visible by now)."""
    row = conn.execute(
        select(tds_inbox_events.c.id, tds_sync_queue.c.id)
        .select_from(tds_inbox_events.outerjoin(tds_sync_queue))
        .where(tds_inbox_events.c.event_id == event_id)
        .order_by(tds_sync_queue.c.id)
        .limit(1)
    ).first()
    return {"inbox_id": row[0] if row else None, "queue_id": row[1] if row else None}
