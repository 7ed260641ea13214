"""Zoho Accounts: refresh-token grant, its throttle, the live-token cap and token checks."""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any

from .config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SandboxConfig
from .errors import TOKEN_THROTTLE, Answer, invalid_token, missing_token

THROTTLE_WINDOW = 600.0  # seconds
THROTTLE_MAX = 10  # requests allowed per window; the next one locks the client out
MAX_LIVE_TOKENS = 10
SCHEME = "Zoho-oauthtoken"


class TokenManager:
    def __init__(self, cfg: SandboxConfig) -> None:
        self.ttl = cfg.token_ttl
        self.lockout = cfg.token_lockout
        self.live: OrderedDict[str, float] = OrderedDict()  # token -> expiry (monotonic)
        self.window: deque[float] = deque()
        self.locked_until = 0.0
        self.refresh_revoked = False
        self.issued = 0
        self.requests = 0

    def grant(self, params: Mapping[str, str], now: float, api_domain: str) -> Answer:
        self.requests += 1
        if now < self.locked_until:
            return 400, dict(TOKEN_THROTTLE)
        while self.window and self.window[0] <= now - THROTTLE_WINDOW:
            self.window.popleft()
        if len(self.window) >= THROTTLE_MAX:
            self.locked_until = now + self.lockout
            # a fresh window after the lock-out, else the next request would re-lock at once
            self.window.clear()
            return 400, dict(TOKEN_THROTTLE)
        self.window.append(now)
        if params.get("grant_type") != "refresh_token":
            return 200, {"error": "unsupported_grant_type"}
        if params.get("client_id") != CLIENT_ID or params.get("client_secret") != CLIENT_SECRET:
            return 200, {"error": "invalid_client"}
        if params.get("refresh_token") != REFRESH_TOKEN or self.refresh_revoked:
            return 200, {"error": "invalid_code"}
        return 200, self._issue(now, api_domain)

    def _issue(self, now: float, api_domain: str) -> dict[str, Any]:
        for token in [t for t, exp in self.live.items() if exp <= now]:
            del self.live[token]
        token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        self.live[token] = now + self.ttl
        while len(self.live) > MAX_LIVE_TOKENS:
            self.live.popitem(last=False)  # the oldest token stops working
        self.issued += 1
        return {"access_token": token, "expires_in": self.ttl, "api_domain": api_domain,
                "token_type": "Bearer"}

    def check(self, header: str | None, now: float) -> Answer | None:
        """None when the Authorization header carries a live token."""
        if not header or not header.startswith(SCHEME + " ") or not header[len(SCHEME):].strip():
            return missing_token()
        token = header[len(SCHEME):].strip()
        expiry = self.live.get(token)
        if expiry is None or expiry <= now:
            return invalid_token()
        return None

    def live_count(self, now: float) -> int:
        return sum(1 for exp in self.live.values() if exp > now)

    def revoke_all(self) -> None:
        self.live.clear()
