"""Only true repeats are deduplicated: a version repeats the record's latest delivery of that
version; an id-only delivery joins a pending event of its record, and is never dropped."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine

from tests.webhooks.helpers import BIG_ID, body_for, counts
from tests.webhooks.test_receiver import PRODUCT, post
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import utcnow
from tsh_webhooks.delivery import event_id as content_key

ID_ONLY = body_for("item", "item_id", "1")  # what Zoho's entity-parameter webhooks send
ID_ONLY_BIG = body_for("item", "item_id", BIG_ID)


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
    # The same version and bytes as the record's latest delivery: a redelivery.
    again = post(client, "products", other_record)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["queue_id"] == answers[4].json()["queue_id"]
    assert again.json()["event_id"] == answers[4].json()["event_id"]
    # Zoho stamps whole seconds: a second edit within the same second is a change of its own.
    same_second = post(client, "products", newer.replace(b"Ceiling", b"Desk"))
    assert (same_second.status_code, same_second.json()["status"]) == (202, "queued")
    assert counts(app_engine) == (6, 6)


def test_the_same_bytes_after_another_delivery_of_the_record_are_a_change(
    client: TestClient, app_engine: Engine
) -> None:
    """Issue 22: a stock move and its reversal leave last_modified_time alone, so A, B, A
    sends the first delivery's very bytes again; the record is at A, not at B."""
    a, b = PRODUCT, PRODUCT.replace(b"Ceiling fan", b"Ceiling fan (2 left)")
    answers = [post(client, "products", body) for body in (a, b, a)]
    assert [(r.status_code, r.json()["status"]) for r in answers] == [(202, "queued")] * 3
    assert len({r.json()["queue_id"] for r in answers}) == 3
    assert len({r.json()["event_id"] for r in answers}) == 3
    # A redelivery of the third (nothing in between) is a repeat of it, not of the first.
    again = post(client, "products", a)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["queue_id"] == answers[2].json()["queue_id"]
    assert counts(app_engine) == (3, 3)


def test_a_repeat_with_nothing_in_between_is_one_event(
    client: TestClient, app_engine: Engine
) -> None:
    first, second = post(client, "products", PRODUCT), post(client, "products", PRODUCT)
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["status"] == "duplicate"
    assert second.json()["event_id"] == first.json()["event_id"]
    # Another entity's delivery of the same id (stock) is not a delivery of this record.
    assert post(client, "stock", PRODUCT).status_code == 202
    assert post(client, "products", PRODUCT).json()["status"] == "duplicate"
    # An id-only delivery of the record is: after it, the same bytes are a change again.
    assert post(client, "products", ID_ONLY_BIG).json()["status"] == "queued"
    assert post(client, "products", PRODUCT).json()["status"] == "queued"
    assert counts(app_engine) == (4, 4)


def test_a_row_stored_under_the_old_whole_content_key_is_still_repeated(
    client: TestClient, app_engine: Engine
) -> None:
    """Rows stored before the chained key held the whole content key (sha256): a redelivery
    of such a row, the record's latest, is still a duplicate after the upgrade."""
    old = content_key("products", "edited", BIG_ID, "2026-06-01T09:00", PRODUCT)
    with app_engine.begin() as conn:
        conn.execute(
            tds_inbox_events.insert().values(
                event_id=old, entity_type="products", entity_id=BIG_ID, event_type="edited",
                raw_payload={}, received_at=utcnow(),
            )
        )  # fmt: skip
    again = post(client, "products", PRODUCT)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["event_id"] == old


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
