"""Shared fixtures: one migrated database per dialect per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from tests.dbs import fresh_postgres_database, fresh_sqlite_database
from tsh_db import migrate
from tsh_db.engine import get_engine
from tsh_db.schema import metadata
from zoho_sandbox.process import SandboxProcess

DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def migrated_urls(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], str]]:
    """Lazily created, migrated databases, at most one per dialect for the whole session."""
    urls: dict[str, str] = {}
    stack: list = []

    def get(dialect: str) -> str:
        if dialect not in urls:
            if dialect == "postgresql":
                cm = fresh_postgres_database()
            else:
                cm = fresh_sqlite_database(tmp_path_factory.mktemp("sqlite"))
            url = cm.__enter__()
            stack.append(cm)
            migrate.upgrade(get_engine(url))
            urls[dialect] = url
        return urls[dialect]

    yield get
    for engine_url in urls.values():
        get_engine(engine_url).dispose()
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


def _emptied(url: str) -> str:
    with get_engine(url).begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return url


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, migrated_urls: Callable[[str], str]) -> str:
    """A migrated database of each dialect, emptied before the test."""
    return _emptied(migrated_urls(request.param))


@pytest.fixture
def pg_url(migrated_urls: Callable[[str], str]) -> str:
    """The migrated PostgreSQL database, emptied: for what only PostgreSQL has (roles, jsonb)."""
    return _emptied(migrated_urls("postgresql"))


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """One sandbox for the session, with limits far above what tests use (limit tests start
    their own). Tests that change it take `fresh_sandbox`, which resets it first."""
    with SandboxProcess(
        seed=7, items=150, customers=40, vendors=8, invoices=250, bills=40, creditnotes=20,
        salesorders=30, inventory_only_items=5, books_rpm=100_000, inventory_rpm=100_000,
        customer_payments=30, vendor_payments=8, purchase_orders=10, estimates=12,
        vendor_credits=5, expenses=20,
    ) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def fresh_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset()
    return sandbox
