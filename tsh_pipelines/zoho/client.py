"""The one door to Zoho. A call flows: token → budget → limiter → HTTP → retry → page.

`ZohoClient.get` is one logical call: it gets the shared OAuth token, takes a slot from the
org-wide limiter (which also enforces the daily budget), sends the call, and retries what
Zoho says is transient, waiting what its `Retry-After` says when it says so. A datetime
parameter (a cursor) is written in the organisation's offset. `pages` turns a list endpoint
into a generator of pages, and `count` asks Zoho for a total without listing.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from tsh_db.engine import get_engine
from tsh_db.types import utcnow
from tsh_pipelines.zoho.auth import TokenCache
from tsh_pipelines.zoho.errors import ZohoAPIError, ZohoAuthError, ZohoDailyLimitError
from tsh_pipelines.zoho.limits import SYNC, SharedRateLimiter
from tsh_pipelines.zoho.organization import organization_zone, stored, zone_named
from tsh_pipelines.zoho.settings import ZohoSettings
from tsh_pipelines.zoho.stats import CallStats
from tsh_pipelines.zoho.timefmt import format_zoho_time

PER_PAGE = 200  # Zoho's maximum: the fewest calls per listing
FILE = "file"  # where a file endpoint's bytes are in the answer
RATE_LIMIT_CODES = (44, 1070)
MAX_RATE_LIMIT_WAITS = 30
# httpx logs every request URL at INFO; URLs carry no secret, but keep transport noise out.
logging.getLogger("httpx").setLevel(logging.WARNING)


class ZohoClient:
    def __init__(
        self,
        settings: ZohoSettings,
        engine: Engine | None = None,
        *,
        purpose: str = SYNC,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ) -> None:
        self.settings = settings
        self.log = logger or logging.getLogger(__name__)
        self.http = httpx.Client(timeout=settings.timeout_seconds)
        engine = self.engine = engine or get_engine()
        self.tokens = TokenCache(settings, engine, self.http)
        holder = f"{socket.gethostname()}:{os.getpid()}"
        self.limiter = SharedRateLimiter(settings, engine, purpose, holder)
        self.stats = CallStats()
        # Zoho's clock less ours, from the Date header of its latest answer: cursors are
        # bounded on Zoho's clock, whatever this machine's says.
        self.clock_skew = timedelta(0)
        self._skew_known = False
        self._zone: tzinfo | None = None
        self._zone_looked_up = False
        self._zone_checked = False  # settled for this client: set, or read less than a day ago

    def __enter__(self) -> ZohoClient:
        # A cached zone older than a day is re-read now, before the run reads any cursor: a
        # re-read that finds the zone changed rewinds the cursors, and a run that had already
        # read its own would write the old one back at its end. Fresh or none: no call.
        self._known_zone()
        if self._zone is not None and not self._zone_checked:
            _ = self.zone
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- the organisation's clock ---------------------------------------------------------
    @property
    def zone(self) -> tzinfo:
        """The organisation's time zone: the setting, the record cached less than a day ago,
        or one Zoho call (`organization_zone`: a re-read that finds it changed rewinds every
        cursor). Settled once per client: a client lives for one run."""
        self._known_zone()
        if not self._zone_checked:
            self._use_zone(organization_zone(self, self.engine))
            self._zone_checked = True
        assert self._zone is not None
        return self._zone

    def _known_zone(self) -> None:
        """What this process can know without a call: the daily budget's day needs it."""
        if self._zone_looked_up:
            return
        self._zone_looked_up = True
        s = self.settings
        if s.time_zone:
            self._use_zone(zone_named(s.time_zone, "ZOHO_TIME_ZONE"))
            self._zone_checked = True  # the setting overrides Zoho: nothing to re-read
            return
        known = stored(self.engine, s.organization_id)
        if known is not None:
            self._use_zone(known.zone)
            self._zone_checked = known.fresh(utcnow())  # older than a day: asked again

    def _use_zone(self, zone: tzinfo) -> None:
        self._zone = self.limiter.zone = zone

    # -- one call -------------------------------------------------------------------------
    def get(self, api: str, endpoint: str, params: Mapping[str, Any] | None = None) -> dict:
        """GET `endpoint` of `api` ("books" or "inventory"); the parsed body when code is 0.

        Datetime values are sent as Zoho writes them, in the organisation's offset."""
        return self.send("GET", api, endpoint, params)

    def send(self, method: str, api: str, endpoint: str, params: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None) -> dict:  # fmt: skip
        """One call with a JSON `body`. A write is sent once: a 5xx or transport failure is
        raised, never retried, since Zoho may have saved it (`tsh_pipelines.zoho.writes`)."""
        self._known_zone()
        params = {
            **{k: format_zoho_time(v, self.zone) if isinstance(v, datetime) else v
               for k, v in (params or {}).items()},
            "organization_id": self.settings.organization_id,
        }  # fmt: skip
        url = f"{self.settings.api_url(api)}/{endpoint.strip('/')}"
        failures = rate_waits = 0
        refreshed = False
        while True:
            status, answer, headers, token = self._send(api, endpoint, url, params, method, body)
            code = answer.get("code") if isinstance(answer, dict) else None
            if status in (200, 201) and code == 0:
                return answer
            error = self._error(status, code, answer, api, endpoint, params)
            if status == 401 and code == 57 and not refreshed:
                # The shared token was revoked or expired early: one forced refresh, one retry.
                self.tokens.get("forced", stale=token)
                refreshed = True
                continue
            if status == 429 and code == 45:
                daily = ZohoDailyLimitError(status, code, error.message, api, endpoint, params)
                resets_in = _seconds(headers, "X-Rate-Limit-Reset") or _seconds(
                    headers, "Retry-After"
                )
                if resets_in is not None:
                    daily.resets_at = utcnow() + timedelta(seconds=resets_in)
                raise daily
            if status == 429 and rate_waits < MAX_RATE_LIMIT_WAITS:
                rate_waits += 1
                self._wait(api, "rate_limited", rate_waits, _seconds(headers, "Retry-After"))
                continue
            if status >= 500 or status == 0:
                failures += 1
                if failures < self.settings.max_attempts and method == "GET":
                    reason = "server_error" if status else "transport"
                    self._wait(api, reason, failures, _seconds(headers, "Retry-After"))
                    continue
            raise error

    def _send(
        self, api: str, endpoint: str, url: str, params: Mapping[str, Any], method: str = "GET",
        json: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any, httpx.Headers, str]:  # fmt: skip
        # The token first: its refresh may wait out Zoho's token throttle (up to 15 minutes),
        # and a slot held meanwhile would starve every other process of the org-wide cap.
        # It stays valid across the slot wait: refreshes happen a margin before expiry.
        token = self.tokens.get()
        grant = self.limiter.acquire(api)
        self.stats.waited_seconds += grant.waited
        status, body, headers = 0, {}, httpx.Headers()
        used_today: int | None = None
        resets_in: float | None = None
        skew: float | None = None
        try:
            auth = {"Authorization": f"Zoho-oauthtoken {token}"}
            resp = self.http.request(method, url, params=params, json=json, headers=auth)
            status, headers = resp.status_code, resp.headers
            body = _json(resp)
            used_today = _used_today(headers)
            resets_in = _seconds(headers, "X-Rate-Limit-Reset")
            skew = self._note_clock(headers)
            self.stats.record(api, endpoint, "ok" if status in (200, 201) else str(status))
        except httpx.TimeoutException:
            self.stats.record(api, endpoint, "timeout")
            body = {"message": "timed out"}
        except httpx.TransportError as exc:
            self.stats.record(api, endpoint, "connection_error")
            body = {"message": f"connection error: {type(exc).__name__}"}
        finally:
            throttled = None  # after a code 44 the whole organisation holds off
            if status == 429 and isinstance(body, dict) and body.get("code") == 44:
                throttled = _seconds(headers, "Retry-After") or 0.0
            self.limiter.release(grant, used_today, throttled, resets_in, skew)
        if self.stats.total % self.settings.log_every_calls == 0:
            self.stats.log_summary(self.log)
        return status, body, headers, token

    def _note_clock(self, headers: httpx.Headers) -> float | None:
        """Zoho's clock less ours, in seconds, from an answer's Date header (kept, and shared
        with every process through the limiter's row)."""
        try:
            server = parsedate_to_datetime(headers["date"])
        except (KeyError, TypeError, ValueError):
            return None
        if server.tzinfo is None:
            return None
        self.clock_skew = server - utcnow()
        self._skew_known = True
        return self.clock_skew.total_seconds()

    def now(self) -> datetime:
        """Now on Zoho's clock, where versions live: what tombstones are stamped with. The
        skew is this client's latest measure, else the latest any process stored."""
        if not self._skew_known:
            self._skew_known = True
            stored_skew = self.limiter.stored_skew()
            if stored_skew is not None:
                self.clock_skew = timedelta(seconds=stored_skew)
        return utcnow() + self.clock_skew

    def _wait(self, api: str, reason: str, attempt: int, retry_after: float | None) -> None:
        s = self.settings
        if retry_after is None:
            # Full jitter: concurrent clients that failed together do not retry together.
            retry_after = random.uniform(
                0, min(s.backoff_max_seconds, s.backoff_base_seconds * 2**attempt)
            )
        self.stats.retries[reason] += 1
        self.stats.waited_seconds += retry_after
        self.log.warning("Zoho %s %s; retry %d in %.1f s", api, reason, attempt, retry_after)
        time.sleep(retry_after)

    @staticmethod
    def _error(
        status: int, code: Any, body: Any, api: str, endpoint: str, params: Mapping[str, Any]
    ) -> ZohoAPIError:
        message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
        if status == 401 and code == 14:
            message += " (no OAuth token was sent: check ZOHO_ACCOUNTS_URL and credentials)"
        return ZohoAPIError(status, code, message, api, endpoint, params)

    def download(self, api: str, endpoint: str) -> tuple[bytes, str]:
        """A file endpoint such as `items/{id}/image`: its bytes and content type, one call
        through the same budget, limiter and retries as any other."""
        body = self.get(api, endpoint)
        if FILE not in body:
            raise ZohoAPIError(200, 0, "answered JSON, not a file", api, endpoint, {})
        return body[FILE], body["content_type"]

    # -- listings -------------------------------------------------------------------------
    def pages(
        self,
        api: str,
        endpoint: str,
        list_key: str,
        id_field: str,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict]]:
        """Yield each page's records until `has_more_page` is false, dropping repeated ids.

        Zoho may return the same record on two pages of one listing; only ids are remembered,
        so memory stays small whatever the size of the listing.
        """
        seen: set[str] = set()
        page = 1
        while True:
            body = self.get(api, endpoint, {**(params or {}), "page": page, "per_page": PER_PAGE})
            self.stats.pages += 1
            records = []
            for record in body.get(list_key) or []:
                key = str(record[id_field])
                if key not in seen:
                    seen.add(key)
                    records.append(record)
            yield records
            if not (body.get("page_context") or {}).get("has_more_page"):
                return
            page += 1

    def count(
        self,
        api: str,
        endpoint: str,
        list_key: str,
        id_field: str,
        params: Mapping[str, Any] | None = None,
    ) -> int:
        """Zoho's own count (`response_option=2`, one call), or a listing when it gives none."""
        body = self.get(api, endpoint, {**(params or {}), "response_option": 2})
        context = body.get("page_context") or {}
        total = context.get("total")
        if total is not None and str(total).isdigit():
            return int(total)
        records = body.get(list_key)
        if isinstance(records, list) and not context.get("has_more_page"):
            return len(records)  # an unpaged list (settings/warehouses) came back whole
        return sum(len(p) for p in self.pages(api, endpoint, list_key, id_field, params))


def _json(resp: httpx.Response) -> Any:
    kind = resp.headers.get("content-type", "")
    if resp.status_code == 200 and "json" not in kind and not kind.startswith("text/"):
        # A file endpoint (an item's image) answers its bytes; errors come as JSON.
        return {"code": 0, FILE: resp.content, "content_type": kind}
    try:
        return resp.json()
    except ValueError:
        return {"message": f"non-JSON body: {resp.text[:200]}"}


def _seconds(headers: httpx.Headers, name: str) -> float | None:
    """A header counting seconds (Retry-After, X-Rate-Limit-Reset); None when absent or not
    a number (Retry-After's HTTP-date form is not one Zoho is known to send)."""
    try:
        value = float(headers[name])
    except (KeyError, ValueError):
        return None
    return value if value >= 0 else None


def _used_today(headers: httpx.Headers) -> int | None:
    try:
        return int(headers["X-Rate-Limit-Limit"]) - int(headers["X-Rate-Limit-Remaining"])
    except (KeyError, ValueError):
        return None


__all__ = ["PER_PAGE", "ZohoAuthError", "ZohoClient"]
