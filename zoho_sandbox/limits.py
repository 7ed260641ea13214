"""Per-API limits (per-minute window, daily quota, in-flight calls) and call statistics."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from typing import Any

from . import clock
from .clock import seconds_to_midnight, today_of
from .config import SandboxConfig
from .errors import Answer, concurrency_limit, daily_limit, minute_limit

APIS = ("books", "inventory")


def _today() -> str:
    # the daily quota follows the organisation's calendar day
    return today_of(int(clock.now()))


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
        self.send_retry_after = cfg.retry_after == "on"

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
        window = self._slide(api, now)
        if self.enforce and self.used[api] >= self.daily:
            return daily_limit(self.daily)
        if self.enforce and len(window) >= self.rpm[api]:
            return minute_limit()
        window.append(now)
        self.used[api] += 1
        self.peak[api] = max(self.peak[api], len(window))
        return None

    def _slide(self, api: str, now: float) -> deque[float]:
        window = self.windows[api]
        while window and window[0] <= now - self.window:
            window.popleft()
        return window

    def _roll_day(self) -> None:
        today = _today()
        if today != self.day:
            self.day = today
            self.used = dict.fromkeys(APIS, 0)

    def headers(self, api: str, status: int = 200, code: Any = 0) -> dict[str, str]:
        self._roll_day()
        out = {
            "X-Rate-Limit-Limit": str(self.daily),
            "X-Rate-Limit-Remaining": str(max(0, self.daily - self.used[api])),
            "X-Rate-Limit-Reset": str(seconds_to_midnight(clock.now())),
        }
        wait = self.retry_after(api, code, time.monotonic()) if status == 429 else None
        if wait is not None and self.send_retry_after:
            out["Retry-After"] = str(wait)
        return out

    def retry_after(self, api: str, code: Any, now: float) -> int | None:
        """Whole seconds until a call would be admitted again (Zoho sending this at all is
        unconfirmed; client libraries such as pyzohoapi wait on it). None for a refusal the
        window does not explain (an injected fault): there is nothing to count down."""
        if code == 45:
            return seconds_to_midnight(clock.now())  # the quota comes back at midnight
        if code == 1070:
            return 1
        window, rpm = self._slide(api, now), self.rpm[api]
        if code != 44 or not self.enforce or len(window) < rpm:
            return None
        # the call that must leave the window for one more to fit; rejected calls were never
        # added, so this is the oldest one while the window is exactly full
        leaves_at = window[len(window) - rpm] + self.window
        return max(1, math.ceil(leaves_at - now))


class Stats:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, dict[str, int]]] = {
            api: defaultdict(lambda: defaultdict(int)) for api in APIS
        }

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
