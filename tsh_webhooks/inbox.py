"""Writing a delivery: the inbox row and its queue row in one transaction, exactly once.

A delivery that names its version (`last_modified_time`) is a repeat only of the record's
latest delivery: the same bytes after another delivery of the record (A, B, A: a stock move
reversed, the time unchanged) are a change, stored and applied after B. The stored `event_id`
chains the content to that latest delivery (`delivery.chained`), so concurrent copies compute
one key and race on the unique index, not on a look-before-insert: `INSERT … ON CONFLICT DO
NOTHING` is safe on both dialects (PostgreSQL makes the losers wait for the winner's commit;
SQLite's `BEGIN IMMEDIATE` serialises writers).

An id-only delivery cannot be told apart from a new edit, so it is never dropped: it joins
an event of the same record (entity, id, event) that is still `pending`, id-only too, and
not yet claimed; that event fetches the record from Zoho when it is applied, which is after
this delivery arrived, so it sees this edit. Why that holds under concurrency: if the lookup
saw the row `pending`, the claim (and so the fetch) commits after the lookup began, which is
after the edit. Otherwise the delivery gets its own rows. Two copies racing may both insert:
a second event of one record is harmless (one more fetch); a dropped edit would not be.
The receiver needs only INSERT and SELECT for this.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_db.queue import PENDING
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import JSONType, UTCDateTime
from tsh_webhooks.delivery import (
    CONTENT_CHARS,
    ID_ONLY_PREFIX,
    Delivery,
    Rejected,
    chained,
    content_part,
)
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


# PostgreSQL: the dedupe check and both rows in one statement, one round trip. It is the
# receiver's hot path (bench/webhook_ingest.py): a text() clause is compiled once and cached,
# whereas SQLAlchemy does not cache the compiled ON CONFLICT insert. `latest` is the record's
# latest delivery; the insert happens unless that one holds the same content, under the key
# `delivery.chained` computes (content half, then md5 of the latest event_id). Racing copies
# compute one key: the unique index makes the losers wait for the winner and insert nothing.
_PG_STORE = text(
    """
    WITH latest AS (
        SELECT event_id FROM tds_inbox_events
        WHERE entity_type = :entity_type AND entity_id = :entity_id
        ORDER BY id DESC LIMIT 1
    ), fresh AS (
        SELECT :content || md5(coalesce((SELECT event_id FROM latest), '')) AS event_id
        WHERE NOT EXISTS (SELECT 1 FROM latest WHERE left(event_id, :content_chars) = :content)
    ), inbox AS (
        INSERT INTO tds_inbox_events
            (event_id, source_type, entity_type, entity_id, event_type, raw_payload,
             received_at, status)
        SELECT event_id, 'zoho', :entity_type, :entity_id, :event_type,
               CAST(:raw_payload AS jsonb), :received_at, :status
        FROM fresh
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id, event_id
    ), queue AS (
        INSERT INTO tds_sync_queue
            (inbox_event_id, entity_type, zoho_entity_id, event_type, priority, status,
             queued_at, next_attempt_at)
        SELECT id, :entity_type, :entity_id, :event_type, :priority, :status, :received_at,
               :received_at
        FROM inbox
        RETURNING inbox_event_id, id
    )
    SELECT (SELECT event_id FROM latest), inbox.event_id, inbox.id, queue.id
    FROM (SELECT 1) AS one LEFT JOIN inbox ON true LEFT JOIN queue ON true
    """
).bindparams(
    bindparam("raw_payload", type_=JSONType), bindparam("received_at", type_=UTCDateTime())
)

# (the record's latest event_id before this delivery, the stored event_id, inbox id, queue id)
Stored = tuple[str | None, str | None, int | None, int | None]


def _insert(conn: Connection, d: Delivery) -> DeliveryResult:
    answer = {"entity_type": d.entity.name, "entity_id": d.entity_id, "event": d.event}
    if d.version is None:
        pending = _pending_id_only(conn, d)
        if pending is not None:
            return DeliveryResult(status="coalesced", **answer, **pending)
    values = {
        "content": content_part(d.event_id),
        "content_chars": CONTENT_CHARS,
        "entity_type": d.entity.name,
        "entity_id": d.entity_id,
        "event_type": d.event,
        "raw_payload": d.payload,
        "received_at": d.received_at,
        "status": PENDING,
        "priority": DEFAULT_PRIORITY,
    }
    # An id-only key is random: it never equals the latest delivery's, so it is always stored.
    if conn.dialect.name == "postgresql":
        latest, stored, inbox_id, queue_id = conn.execute(_PG_STORE, values).one()
    else:
        latest, stored, inbox_id, queue_id = _store_sqlite(conn, values)
    if inbox_id is None:
        # A repeat of the latest delivery, or a racing copy that computed the same key.
        repeat = latest is not None and content_part(latest) == values["content"]
        key = latest if latest is not None and repeat else chained(d.event_id, latest)
        earlier = _earlier(conn, key)
        return DeliveryResult(status="duplicate", event_id=key, **answer, **earlier)
    return DeliveryResult(
        status="queued", event_id=stored, inbox_id=inbox_id, queue_id=queue_id, **answer
    )


def _store_sqlite(conn: Connection, values: dict[str, Any]) -> Stored:
    """SQLite: the same as `_PG_STORE` in two steps; `BEGIN IMMEDIATE` serialises writers,
    so nothing is stored between the look at the latest delivery and the insert."""
    latest = conn.execute(
        select(tds_inbox_events.c.event_id)
        .where(
            tds_inbox_events.c.entity_type == values["entity_type"],
            tds_inbox_events.c.entity_id == values["entity_id"],
        )
        .order_by(tds_inbox_events.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and content_part(latest) == values["content"]:
        return latest, None, None, None
    return (latest, *_insert_rows(conn, values, chained(values["content"], latest)))


def _insert_rows(
    conn: Connection, v: dict[str, Any], key: str
) -> tuple[str | None, int | None, int | None]:
    """The inbox row under `key`, unless that key is stored already, then its queue row."""
    inbox_id = conn.execute(
        sqlite.insert(tds_inbox_events)
        .values(
            event_id=key, source_type="zoho", entity_type=v["entity_type"],
            entity_id=v["entity_id"], event_type=v["event_type"],
            raw_payload=v["raw_payload"], received_at=v["received_at"], status=v["status"],
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(tds_inbox_events.c.id)
    ).scalar_one_or_none()  # fmt: skip
    if inbox_id is None:
        return None, None, None
    queue_id = conn.execute(
        tds_sync_queue.insert()
        .values(
            inbox_event_id=inbox_id, entity_type=v["entity_type"],
            zoho_entity_id=v["entity_id"], event_type=v["event_type"], priority=v["priority"],
            status=v["status"], queued_at=v["received_at"], next_attempt_at=v["received_at"],
        )
        .returning(tds_sync_queue.c.id)
    ).scalar_one()  # fmt: skip
    return key, inbox_id, queue_id


def _pending_id_only(conn: Connection, d: Delivery) -> dict[str, Any] | None:
    """The oldest unclaimed id-only event of the same record, if there is one.

    Only id-only events: an event with a full payload is applied from its payload without
    asking Zoho, so it would not carry this later edit.
    """
    q, i = tds_sync_queue.c, tds_inbox_events.c
    row = conn.execute(
        select(i.event_id, i.id, q.id)
        .select_from(tds_sync_queue.join(tds_inbox_events))
        .where(
            q.entity_type == d.entity.name,
            q.zoho_entity_id == d.entity_id,
            q.event_type == d.event,
            q.status == PENDING,
            i.event_id.startswith(ID_ONLY_PREFIX, autoescape=True),
        )
        .order_by(q.id)
        .limit(1)
    ).first()
    return None if row is None else {"event_id": row[0], "inbox_id": row[1], "queue_id": row[2]}


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
