"""Issue 22, case 5: a record that returns to an earlier state reaches the replica.

Stock moves and rate edits may leave `last_modified_time` alone, so A → B → A sends the
first delivery's very bytes again. The receiver must store the third as a change and the
queue must apply it after B, so the replica ends at A, as Zoho is. A is the sandbox's own
record, so whether the apply path trusts the bodies or asks Zoho (one version, two bodies),
the truth is A. The events are applied the way the run applies them (claim, take, apply,
settle), without Dagster around it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.replication.helpers import live_rows
from tests.webhooks.helpers import ADMIN_TOKEN, NEW_SECRET, counts, deliver
from tests.zoho_client.conftest import settings_for
from tsh_pipelines.entities import BOOKS
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.queue import claim_batch, claimed, settle, take
from tsh_pipelines.zoho import ZohoClient
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings
from zoho_sandbox.process import SandboxProcess


@pytest.fixture
def zoho(fresh_sandbox: SandboxProcess, engine: Engine) -> Iterator[ZohoClient]:
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        yield client


def bodies(zoho: ZohoClient) -> tuple[str, bytes, bytes]:
    """(id, A, B): a Books item as Zoho has it, and the same version with another name."""
    item = zoho.get(BOOKS, "items", {"per_page": 1})["items"][0]
    record = zoho.get(BOOKS, f"items/{item['item_id']}")["item"]
    a = json.dumps({"item": record}).encode()
    b = json.dumps({"item": {**record, "name": record["name"] + " (moved)"}}).encode()
    return str(record["item_id"]), a, b


@pytest.fixture
def receiver(db_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db_url, webhook_secrets=(NEW_SECRET,),
                        admin_api_token=ADMIN_TOKEN)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


def apply_queue(zoho: ZohoClient, engine: Engine) -> list[str]:
    """Every due event in queue order, as the run applies them; their outcomes."""
    claim = claim_batch(engine, 50)
    assert claim is not None
    outcomes = []
    for row in claimed(engine, claim.claim_id):
        taken = take(engine, row)
        assert taken is not None
        applied = apply_event(zoho, engine, taken["entity_type"], taken["zoho_entity_id"],
                              taken["event_type"], taken["raw_payload"])  # fmt: skip
        settle(engine, taken, None)
        outcomes.append(applied.outcome)
    return outcomes


def test_a_b_a_with_one_time_is_three_events_and_the_replica_ends_at_a(
    receiver: TestClient, zoho: ZohoClient, engine: Engine
) -> None:
    item_id, a, b = bodies(zoho)
    answers = [deliver(receiver, "products", body) for body in (a, b, a)]
    assert [(r.status_code, r.json()["status"]) for r in answers] == [(202, "queued")] * 3
    assert counts(engine) == (3, 3)
    apply_queue(zoho, engine)
    assert live_rows(engine, "products", "name")[item_id] == (json.loads(a)["item"]["name"],)


def test_a_a_is_one_event(receiver: TestClient, zoho: ZohoClient, engine: Engine) -> None:
    item_id, a, _ = bodies(zoho)
    first, again = deliver(receiver, "products", a), deliver(receiver, "products", a)
    assert (first.json()["status"], again.json()["status"]) == ("queued", "duplicate")
    assert counts(engine) == (1, 1)
    assert apply_queue(zoho, engine) == ["upserted"]
    assert live_rows(engine, "products", "name")[item_id] == (json.loads(a)["item"]["name"],)
