"""Only true repeats are deduplicated: a version repeats a version; an id-only delivery joins
a pending event of its record, and is never dropped."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine

from tests.webhooks.helpers import BIG_ID, body_for, counts
from tests.webhooks.test_receiver import PRODUCT, post
from tsh_db.schema import tds_sync_queue

ID_ONLY = body_for("item", "item_id", "1")  # what Zoho's entity-parameter webhooks send


def set_status(engine: Engine, queue_id: int, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(tds_sync_queue).where(tds_sync_queue.c.id == queue_id).values(status=status)
        )


def test_a_replay_with_another_event_or_route_is_refused(
    client: TestClient, app_engine: Engine
) -> None:
    """The captured headers of a real delivery, sent again with `event=deleted` or to the
    stock route: the signature covers the query, so neither is accepted."""
    first = post(client, "products", PRODUCT, event="edited")
    assert first.status_code == 202
    captured, query = dict(first.request.headers), first.request.url.query.decode()
    assert "event=edited" in query
    for path in (
        f"/api/zoho/webhooks/products?{query.replace('event=edited', 'event=deleted')}",
        f"/api/zoho/webhooks/stock?{query}",  # the very same signed query, another route
    ):
        replay = client.post(path, content=PRODUCT, headers=captured)
        assert replay.status_code == 401, (path, replay.text)
    assert counts(app_engine) == (1, 1)


def test_route_id_event_and_version_make_the_dedupe_key(client: TestClient, app_engine: Engine):
    newer = PRODUCT.replace(b"2026-06-01T09:00", b"2026-06-01T09:05")
    other_record = body_for("item", "item_id", "77", last_modified_time="2026-06-01T09:00")
    answers = [
        post(client, "products", PRODUCT),
        post(client, "products", PRODUCT, event="deleted"),  # signed for deleted: a delete
        post(client, "stock", PRODUCT),  # same item, different work, signed for stock
        post(client, "products", newer),  # a new edit moves last_modified_time
        post(client, "products", other_record),
    ]
    assert [a.status_code for a in answers] == [202] * 5
    assert len({a.json()["event_id"] for a in answers}) == 5
    # The same version and bytes are the same change: a redelivery.
    again = post(client, "products", PRODUCT)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["queue_id"] == answers[0].json()["queue_id"]
    # Zoho stamps whole seconds: a second edit within the same second is a change of its own.
    same_second = post(client, "products", PRODUCT.replace(b"Ceiling", b"Desk"))
    assert (same_second.status_code, same_second.json()["status"]) == (202, "queued")
    assert counts(app_engine) == (6, 6)


def test_an_id_only_delivery_joins_a_pending_event_of_its_record(
    client: TestClient, app_engine: Engine
) -> None:
    first = post(client, "products", ID_ONLY)
    assert (first.status_code, first.json()["status"]) == (202, "queued")
    assert first.json()["event_id"].startswith("id-only:")
    again = post(client, "products", ID_ONLY)
    assert (again.status_code, again.json()["status"]) == (200, "coalesced")
    for key in ("event_id", "inbox_id", "queue_id", "entity_id"):
        assert again.json()[key] == first.json()[key]
    deleted = post(client, "products", ID_ONLY, event="deleted")  # another event: its own row
    assert deleted.json()["status"] == "queued"
    stock = post(client, "stock", ID_ONLY)  # another entity: its own row
    assert stock.json()["status"] == "queued"
    assert counts(app_engine) == (3, 3)


def test_an_id_only_edit_after_the_event_was_claimed_or_applied_is_stored(
    client: TestClient, app_engine: Engine
) -> None:
    seen = set()
    for status in ("claimed", "processing", "completed", "failed", "dead_letter"):
        answer = post(client, "products", ID_ONLY)
        assert (answer.status_code, answer.json()["status"]) == (202, "queued"), status
        seen.add(answer.json()["event_id"])
        set_status(app_engine, answer.json()["queue_id"], status)  # the run has it now
    assert len(seen) == 5 and counts(app_engine) == (5, 5)


def test_an_id_only_delivery_never_joins_a_full_payload(
    client: TestClient, app_engine: Engine
) -> None:
    """A full payload is applied as sent, without asking Zoho: it would miss the later edit."""
    assert post(client, "products", PRODUCT).json()["status"] == "queued"
    later = post(client, "products", body_for("item", "item_id", BIG_ID))
    assert (later.status_code, later.json()["status"]) == (202, "queued")
    assert counts(app_engine) == (2, 2)
