"""POST /api/zoho/sync/dead-letters/replay: the admin's way to put dead letters back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.realtime.test_replay import seed_dead_letters, statuses
from tests.webhooks.conftest import MakeClient
from tests.webhooks.test_ops import ADMIN

REPLAY = "/api/zoho/sync/dead-letters/replay"


def test_replay_needs_the_admin_token(make_client: MakeClient) -> None:
    client = make_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert client.post(REPLAY, json={"all": True}, headers=headers).status_code == 401
    unset = make_client(admin_api_token=None).post(REPLAY, json={"all": True}, headers=ADMIN)
    assert unset.status_code == 503


def test_replay_by_ids_entity_or_all(client: TestClient, app_engine: Engine) -> None:
    ids = seed_dead_letters(app_engine)
    answer = client.post(REPLAY, json={"ids": [ids["p1"], ids["f1"]]}, headers=ADMIN)
    assert (answer.status_code, answer.json()) == (200, {"replayed": 1})
    assert statuses(app_engine)["p1"] == ("pending", 0)
    assert statuses(app_engine)["f1"] == ("failed", 10)  # not a dead letter: untouched
    answer = client.post(REPLAY, json={"entity": "invoices"}, headers=ADMIN)
    assert answer.json() == {"replayed": 1} and statuses(app_engine)["i1"] == ("pending", 0)
    assert client.post(REPLAY, json={"all": True}, headers=ADMIN).json() == {"replayed": 1}
    assert client.post(REPLAY, json={"all": True}, headers=ADMIN).json() == {"replayed": 0}
    assert {s for s, _ in statuses(app_engine).values()} == {"pending", "failed"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "exactly one of"),
        ({}, "exactly one of"),
        ({"ids": []}, "exactly one of"),
        ({"ids": [1], "entity": "products"}, "got ids and entity"),
        ({"entity": "product"}, "Unknown entity 'product'"),
    ],
)
def test_an_unclear_selection_is_a_422(
    client: TestClient, app_engine: Engine, body: dict | None, message: str
) -> None:
    seed_dead_letters(app_engine)
    answer = client.post(REPLAY, json=body, headers=ADMIN)
    assert answer.status_code == 422 and message in answer.json()["detail"]
    assert statuses(app_engine)["p1"] == ("dead_letter", 10)


def test_openapi_documents_the_replay(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"][REPLAY]["post"]
    assert {"200", "401", "422", "503"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert {"ReplayRequest", "ReplayResult"} <= set(schemas)
    assert "coalesced" in schemas["DeliveryResult"]["properties"]["status"]["enum"]
