"""Issue 22, case 5: a record that returns to an earlier state reaches the replica.

Stock moves and rate edits may leave `last_modified_time` alone, so A → B → A sends the
first delivery's very bytes again. The receiver must store the third as a change and the
queue must apply it after B, so the replica ends at A, as Zoho is. The events are applied
the way the run applies them (claim, take, apply, settle), without Dagster around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.replication.helpers import live_rows
from tests.webhooks.helpers import ADMIN_TOKEN, BIG_ID, NEW_SECRET, body_for, counts, deliver
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.queue import claim_batch, claimed, settle, take
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings

NO_ZOHO: Any = None  # full payloads: applying them never asks Zoho
SAME_TIME = "2026-06-01T09:00:00+0300"
A = body_for("item", "item_id", BIG_ID, name="Ceiling fan", last_modified_time=SAME_TIME)
B = body_for("item", "item_id", BIG_ID, name="Ceiling fan (moved)", last_modified_time=SAME_TIME)


@pytest.fixture
def receiver(db_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db_url, webhook_secrets=(NEW_SECRET,),
                        admin_api_token=ADMIN_TOKEN)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


def apply_queue(engine: Engine) -> list[str]:
    """Every due event in queue order, as the run applies them; their outcomes."""
    claim = claim_batch(engine, 50)
    assert claim is not None
    outcomes = []
    for row in claimed(engine, claim.claim_id):
        taken = take(engine, row)
        assert taken is not None
        applied = apply_event(NO_ZOHO, engine, taken["entity_type"], taken["zoho_entity_id"],
                              taken["event_type"], taken["raw_payload"])  # fmt: skip
        settle(engine, taken, None)
        outcomes.append(applied.outcome)
    return outcomes


def test_a_b_a_with_one_time_is_three_events_and_the_replica_ends_at_a(
    receiver: TestClient, engine: Engine
) -> None:
    answers = [deliver(receiver, "products", body) for body in (A, B, A)]
    assert [(r.status_code, r.json()["status"]) for r in answers] == [(202, "queued")] * 3
    assert counts(engine) == (3, 3)
    apply_queue(engine)
    assert live_rows(engine, "products", "name")[BIG_ID] == ("Ceiling fan",)


def test_a_a_is_one_event(receiver: TestClient, engine: Engine) -> None:
    first, again = deliver(receiver, "products", A), deliver(receiver, "products", A)
    assert (first.json()["status"], again.json()["status"]) == ("queued", "duplicate")
    assert counts(engine) == (1, 1)
    assert apply_queue(engine) == ["upserted"]
    assert live_rows(engine, "products", "name")[BIG_ID] == ("Ceiling fan",)
