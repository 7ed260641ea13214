"""Fixtures: in-process receivers (ASGI) over the migrated database of each dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.webhooks.helpers import ADMIN_TOKEN, NEW_SECRET, OLD_SECRET
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(db_url: str) -> Iterator[MakeClient]:
    """An in-process receiver over the (emptied) database; keywords override settings."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(
            database_url=db_url,
            webhook_secrets=(OLD_SECRET, NEW_SECRET),
            admin_api_token=ADMIN_TOKEN,
        )
        client = TestClient(create_app(replace(settings, **overrides)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture
def app_engine(client: TestClient) -> Engine:
    return client.app.state.engine  # type: ignore[attr-defined,no-any-return]
