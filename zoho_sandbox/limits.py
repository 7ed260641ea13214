"""Per-API limits (per-minute window, daily quota, in-flight calls) and call statistics."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Any

from .clock import seconds_to_midnight, today_of
from .config import SandboxConfig
from .errors import Answer, concurrency_limit, daily_limit, minute_limit

APIS = ("books", "inventory")


def _today() -> str:
    # the daily quota follows the organisation's calendar day
    return today_of(int(time.time()))


class Limits:
    """Counters are per API, as Books and Inventory are separate products with separate
    quotas; the concurrency cap is per API too (Zoho does not say, see README)."""

    def __init__(self, cfg: SandboxConfig) -> None:
        self.enforce = not cfg.no_limits
        self.rpm = {"books": cfg.books_rpm, "inventory": cfg.inventory_rpm}
        self.daily = cfg.daily_limit
        self.max_concurrent = cfg.max_concurrent
        self.window = cfg.rate_window  # 60 s like Zoho unless a test compresses time
        self.windows: dict[str, deque[float]] = {api: deque() for api in APIS}
        self.peak = dict.fromkeys(APIS, 0)
        self.used = dict.fromkeys(APIS, 0)
        self.inflight = dict.fromkeys(APIS, 0)
        self.day = _today()

    def enter(self, api: str) -> Answer | None:
        if self.enforce and self.inflight[api] >= self.max_concurrent:
            return concurrency_limit()
        self.inflight[api] += 1
        return None

    def leave(self, api: str) -> None:
        self.inflight[api] -= 1

    def admit(self, api: str, now: float) -> Answer | None:
        """Count the call if the daily and per-minute limits allow it; rejected calls are
        not counted."""
        self._roll_day()
        window = self.windows[api]
        while window and window[0] <= now - self.window:
            window.popleft()
        if self.enforce and self.used[api] >= self.daily:
            return daily_limit(self.daily)
        if self.enforce and len(window) >= self.rpm[api]:
            return minute_limit()
        window.append(now)
        self.used[api] += 1
        self.peak[api] = max(self.peak[api], len(window))
        return None

    def _roll_day(self) -> None:
        today = _today()
        if today != self.day:
            self.day = today
            self.used = dict.fromkeys(APIS, 0)

    def headers(self, api: str) -> dict[str, str]:
        self._roll_day()
        return {
            "X-Rate-Limit-Limit": str(self.daily),
            "X-Rate-Limit-Remaining": str(max(0, self.daily - self.used[api])),
            "X-Rate-Limit-Reset": str(seconds_to_midnight(time.time())),
        }


class Stats:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, dict[str, int]]] = {
            api: defaultdict(lambda: defaultdict(int)) for api in APIS}

    def record(self, api: str, endpoint: str, status: int) -> None:
        self.calls[api][endpoint][str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        calls = {api: {ep: dict(by) for ep, by in eps.items()} for api, eps in self.calls.items()}
        totals = {}
        for api, eps in calls.items():
            by_status: dict[str, int] = defaultdict(int)
            for by in eps.values():
                for status, n in by.items():
                    by_status[status] += n
            totals[api] = {"total": sum(by_status.values()), "by_status": dict(by_status)}
        return {"calls": calls, "totals": totals}
