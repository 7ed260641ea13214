"""Everything the Zoho client needs to know, in one immutable object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SANDBOX_URL = "http://127.0.0.1:8090"
BOOKS, INVENTORY = "books", "inventory"
API_PATHS = {BOOKS: "/books/v3", INVENTORY: "/inventory/v1"}


@dataclass(frozen=True)
class ZohoSettings:
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    organization_id: str
    api_base_url: str = SANDBOX_URL
    accounts_url: str = SANDBOX_URL
    # Zoho's per-minute limits per organisation; the client runs at `rate_share` of them.
    books_rpm: int = 100
    inventory_rpm: int = 25
    rate_share: float = 0.9
    # Zoho counts a minute; tests and benchmarks may shrink the window on both sides.
    rate_window_seconds: float = 60.0
    books_daily_limit: int = 10_000
    inventory_daily_limit: int = 10_000
    # Share of each daily budget that bulk syncs may not touch: it is kept for webhooks.
    webhook_reserve: float = 0.2
    # Zoho rejects more than 10 calls in flight (5 on free plans): stay below.
    max_in_flight: int = 8
    max_attempts: int = 6
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    timeout_seconds: float = 30.0
    # Refresh this long before expiry so no call goes out with a dying token.
    token_refresh_margin_seconds: float = 300.0
    # How long to stay away from the token endpoint after Zoho's "too many requests".
    token_throttle_wait_seconds: float = 900.0
    token_refresh_attempts: int = 3
    log_every_calls: int = 50
    # The organisation's IANA time zone; empty: read once from Zoho's organisation record.
    time_zone: str = ""

    def rpm(self, api: str) -> int:
        return self.books_rpm if api == BOOKS else self.inventory_rpm

    def daily_limit(self, api: str) -> int:
        return self.books_daily_limit if api == BOOKS else self.inventory_daily_limit

    def api_url(self, api: str) -> str:
        return self.api_base_url.rstrip("/") + API_PATHS[api]

    @property
    def token_url(self) -> str:
        return self.accounts_url.rstrip("/") + "/oauth/v2/token"

    @classmethod
    def from_env(cls, **overrides: object) -> ZohoSettings:
        """Settings from the ZOHO_* environment, defaulting to the local sandbox's demo org."""
        env = os.environ.get
        values: dict[str, object] = {
            "client_id": env("ZOHO_CLIENT_ID", "sandbox-client"),
            "client_secret": env("ZOHO_CLIENT_SECRET", "sandbox-secret"),
            "refresh_token": env("ZOHO_REFRESH_TOKEN", "sandbox-refresh-token"),
            "organization_id": env("ZOHO_ORGANIZATION_ID", "10234695"),
            "api_base_url": env("ZOHO_API_BASE_URL", SANDBOX_URL),
            "accounts_url": env("ZOHO_ACCOUNTS_URL", SANDBOX_URL),
            "time_zone": env("ZOHO_TIME_ZONE", "").strip(),
        }
        for name, var, conv in (
            ("books_rpm", "ZOHO_BOOKS_RPM", int),
            ("inventory_rpm", "ZOHO_INVENTORY_RPM", int),
            ("books_daily_limit", "ZOHO_BOOKS_DAILY_LIMIT", int),
            ("inventory_daily_limit", "ZOHO_INVENTORY_DAILY_LIMIT", int),
            ("webhook_reserve", "ZOHO_WEBHOOK_RESERVE", float),
            ("max_in_flight", "ZOHO_MAX_IN_FLIGHT", int),
        ):
            if env(var):
                values[name] = conv(env(var))
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
