"""What can go wrong talking to Zoho, each error saying what failed and what to do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


class ZohoError(Exception):
    """Base of every Zoho client error."""


class ZohoAPIError(ZohoError):
    """Zoho answered with an error that retrying will not fix."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        api: str,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.status, self.code, self.message = status, code, message
        self.api, self.endpoint = api, endpoint
        # Call parameters never carry secrets (the token travels in a header).
        self.params = dict(params or {})
        super().__init__(
            f"Zoho {api} {endpoint} failed: HTTP {status}, code {code}: {message} "
            f"(params {self.params})"
        )


class ZohoDailyLimitError(ZohoAPIError):
    """Code 45: the organisation's daily call limit is spent; retrying only makes it worse.

    `resets_at` is when Zoho said its counter resets (X-Rate-Limit-Reset), when it did."""

    resets_at: datetime | None = None


class ZohoAuthError(ZohoError):
    """The OAuth credentials are unusable; an operator has to act."""


class ZohoBudgetExhausted(ZohoError):
    """The client stopped itself before spending calls reserved for something else."""

    def __init__(
        self,
        api: str,
        used: int,
        allowed: int,
        limit: int,
        purpose: str,
        resets_at: datetime | None = None,
    ) -> None:
        self.api, self.used, self.allowed, self.limit = api, used, allowed, limit
        self.resets_at = resets_at
        when = f" at {resets_at:%Y-%m-%d %H:%M} UTC" if resets_at else " tomorrow"
        super().__init__(
            f"Zoho {api} daily budget for {purpose} is spent: {used} of {allowed} calls used "
            f"today (daily limit {limit}, the rest is reserved for webhook processing). "
            f"The sync stopped cleanly; it resumes from its watermark when Zoho's day resets"
            f"{when}, or raise ZOHO_{api.upper()}_DAILY_LIMIT if your Zoho plan allows more."
        )
