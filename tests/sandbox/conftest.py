"""Fixtures: one shared read-only sandbox over HTTP, a logged-in client, a webhook sink."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, Zoho
from zoho_sandbox.process import SandboxProcess


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    # limits stay on (headers are real) but far above what the suite sends
    with SandboxProcess(
        **SMALL, books_rpm=100_000, inventory_rpm=100_000, daily_limit=1_000_000
    ) as sb:
        yield sb


@pytest.fixture(scope="session")
def zoho(sandbox: SandboxProcess) -> Zoho:
    client = Zoho(sandbox.url)
    client.login()
    return client


@pytest.fixture(scope="session")
def truth(sandbox: SandboxProcess) -> dict[str, list[dict[str, Any]]]:
    """The shared sandbox's records, read once; its tests never mutate it."""
    entities = (
        "items",
        "contacts",
        "invoices",
        "bills",
        "creditnotes",
        "salesorders",
        "pricebooks",
    )
    return {e: sandbox.records(e) for e in entities}


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()
