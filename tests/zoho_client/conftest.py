"""Client tests run against real sandboxes over HTTP, with the shared state in a real database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

from tsh_pipelines.zoho import ZohoSettings


def settings_for(sandbox: SandboxProcess, **overrides: Any) -> ZohoSettings:
    values: dict[str, Any] = {
        "client_id": DEMO_CREDENTIALS["client_id"],
        "client_secret": DEMO_CREDENTIALS["client_secret"],
        "refresh_token": DEMO_CREDENTIALS["refresh_token"],
        "organization_id": DEMO_CREDENTIALS["organization_id"],
        "api_base_url": sandbox.url,
        "accounts_url": sandbox.url,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.2,
        "token_throttle_wait_seconds": 1.0,
    }
    values.update(overrides)
    return ZohoSettings(**values)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """A roomy sandbox for tests that do not exercise limits (limits far above their use)."""
    with SandboxProcess(
        seed=7, items=1000, customers=50, invoices=300, bills=20, books_rpm=100_000,
        inventory_rpm=100_000,
    ) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def fresh_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset()
    return sandbox
