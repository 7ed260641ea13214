"""Fixtures: the seeded catalogue in each dialect and in-process apps over it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.consumer_api.catalogue import AppClient, seed
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.engine import get_engine


@pytest.fixture
def catalogue_url(db_url: str) -> str:
    """A database of each dialect holding the test catalogue (emptied and reseeded per test)."""
    seed(get_engine(db_url))
    return db_url


@pytest.fixture
def make_client(catalogue_url: str) -> Callable[..., AppClient]:
    """An in-process app over the catalogue; keyword arguments override settings."""

    def make(**overrides: Any) -> AppClient:
        settings = replace(Settings(database_url=catalogue_url), **overrides)
        return AppClient(create_app(settings))

    return make


@pytest.fixture
def client(make_client: Callable[..., AppClient]) -> AppClient:
    return make_client()
