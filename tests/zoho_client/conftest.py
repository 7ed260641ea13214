"""Client settings pointing at a sandbox, with fast backoff for tests."""

from __future__ import annotations

from typing import Any

from tsh_pipelines.zoho import ZohoSettings
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess


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
