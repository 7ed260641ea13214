"""One OAuth access token for the whole organisation, cached in the database.

Zoho allows about ten token requests per ten minutes and locks the account for 15–30 minutes
beyond that, while Dagster runs every run in its own process. So the token lives in
`zoho_oauth_tokens`, and a refresh happens under a row lock (PostgreSQL) or an immediate
transaction (SQLite): the first process to find the token stale refreshes it, the others wait
on the lock and then read the fresh token instead of asking Zoho themselves.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import insert_missing
from tsh_db.schema import zoho_oauth_tokens, zoho_token_refresh_log
from tsh_db.types import utcnow
from tsh_pipelines.zoho.errors import ZohoAuthError
from tsh_pipelines.zoho.settings import ZohoSettings

log = logging.getLogger(__name__)

REAUTHORISE = (
    "Zoho rejected the refresh token ({error}). Re-authorise the Zoho OAuth client "
    "(Zoho API console → Self Client → generate a code with the ZohoBooks.fullaccess.all and "
    "ZohoInventory.fullaccess.all scopes, exchange it for a refresh token) and set "
    "ZOHO_REFRESH_TOKEN (and ZOHO_CLIENT_ID / ZOHO_CLIENT_SECRET if the client changed)."
)


class _Throttled(Exception):
    pass


class _Transient(Exception):
    pass


class TokenCache:
    def __init__(self, settings: ZohoSettings, engine: Engine, http: httpx.Client) -> None:
        self.settings, self.engine, self.http = settings, engine, http
        digest = f"{settings.client_id}:{settings.refresh_token}:{settings.accounts_url}"
        self.key = hashlib.sha256(digest.encode()).hexdigest()[:32]
        self.refreshes = 0
        self._local: object = None

    def get(self, refresh_type: str = "auto", stale: str | None = None) -> str:
        """A valid access token. With `stale`, the caller saw that token rejected (401)."""
        # The process keeps the shared token it last read until its refresh point, saving a
        # query per call; a token revoked early shows up as a 401 and comes back as `stale`.
        token = self._usable(self._local, stale) or self._cached(stale)
        if not token:
            token = self._refresh_locked(refresh_type, stale)
        return token

    def health(self) -> datetime:
        """Obtain a token through the shared cache (refreshing only if it is due) and record
        the check in the refresh log; returns the token's expiry."""
        self.get("health")
        with self.engine.begin() as conn:
            expires_at = conn.scalar(
                select(zoho_oauth_tokens.c.expires_at).where(
                    zoho_oauth_tokens.c.client_key == self.key
                )
            )
            self._log(conn, "health", True, None, expires_at)
        return expires_at

    def _cached(self, stale: str | None) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(zoho_oauth_tokens).where(zoho_oauth_tokens.c.client_key == self.key)
            ).first()
        token = self._usable(row, stale)
        if token:
            self._local = row
        return token

    def _usable(self, row: object, stale: str | None) -> str | None:
        if row is None or not row.access_token or row.expires_at is None:  # type: ignore[attr-defined]
            return None
        margin = timedelta(seconds=self.settings.token_refresh_margin_seconds)
        if row.expires_at - margin <= utcnow() or row.access_token == stale:  # type: ignore[attr-defined]
            return None
        return row.access_token  # type: ignore[attr-defined,no-any-return]

    def _refresh_locked(self, refresh_type: str, stale: str | None) -> str:
        while True:
            with self.engine.begin() as conn:
                row = self._lock_row(conn)
                token = self._usable(row, stale)
                if token:  # another process refreshed while we waited for the lock
                    self._local = row
                    return token
                if row.fatal_error:
                    # Zoho already rejected these credentials: asking again only adds to the
                    # token throttle. New credentials make a new cache key and a fresh start.
                    raise ZohoAuthError(row.fatal_error)
                blocked = row.blocked_until
                outcome: str | ZohoAuthError | None = None
                if blocked is None or blocked <= utcnow():
                    outcome = self._refresh(conn, refresh_type)
                    blocked = utcnow() + timedelta(
                        seconds=self.settings.token_throttle_wait_seconds
                    )
            # Outside the transaction, so the refresh log rows are committed whatever happens.
            if isinstance(outcome, str):
                self._local = None  # read back (with its expiry) on the next call
                return outcome
            if isinstance(outcome, ZohoAuthError):
                raise outcome
            wait = max(0.0, (blocked - utcnow()).total_seconds())
            log.warning("Zoho token endpoint throttled; waiting %.0f s before asking again", wait)
            time.sleep(wait)

    def _lock_row(self, conn: Connection):  # type: ignore[no-untyped-def]
        table = zoho_oauth_tokens
        query = select(table).where(table.c.client_key == self.key).with_for_update()
        row = conn.execute(query).first()
        if row is None:
            insert_missing(conn, table, [{"client_key": self.key}], ["client_key"])
            row = conn.execute(query).first()
        return row

    def _refresh(self, conn: Connection, refresh_type: str) -> str | ZohoAuthError | None:
        """The new token, a fatal error, or None when Zoho throttled us (block recorded)."""
        attempts = self.settings.token_refresh_attempts
        for attempt in range(1, attempts + 1):
            try:
                token, expires_at = self._request()
            except _Throttled as exc:
                until = utcnow() + timedelta(seconds=self.settings.token_throttle_wait_seconds)
                self._set(conn, blocked_until=until)
                self._log(conn, refresh_type, False, str(exc))
                return None
            except _Transient as exc:
                self._log(conn, refresh_type, False, f"attempt {attempt}/{attempts}: {exc}")
                if attempt < attempts:
                    delay = self.settings.backoff_base_seconds * 2 ** (attempt - 1)
                    time.sleep(delay * random.random())
                    continue
                return ZohoAuthError(
                    f"Zoho token refresh failed {attempts} times (last: {exc}); check that "
                    f"ZOHO_ACCOUNTS_URL ({self.settings.accounts_url}) is right and reachable"
                )
            except ZohoAuthError as exc:
                self._set(conn, fatal_error=str(exc))
                self._log(conn, refresh_type, False, str(exc))
                return exc
            now = utcnow()
            self._set(conn, access_token=token, expires_at=expires_at, refreshed_at=now,
                      blocked_until=None)  # fmt: skip
            self._log(conn, refresh_type, True, None, expires_at)
            return token
        raise AssertionError("unreachable")

    def _request(self) -> tuple[str, datetime]:
        s = self.settings
        # Credentials go in the form body, never the URL: URLs end up in logs.
        form = {
            "grant_type": "refresh_token",
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "refresh_token": s.refresh_token,
        }
        self.refreshes += 1
        try:
            resp = self.http.post(s.token_url, data=form, timeout=s.timeout_seconds)
        except httpx.HTTPError as exc:
            raise _Transient(type(exc).__name__) from None
        if resp.status_code >= 500:
            raise _Transient(f"HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError:
            raise _Transient(f"HTTP {resp.status_code} with a non-JSON body") from None
        if "access_token" in body:
            expires_at = utcnow() + timedelta(seconds=int(body.get("expires_in", 3600)))
            return body["access_token"], expires_at
        error = str(body.get("error", ""))
        if "too many requests" in str(body.get("error_description", "")).lower():
            raise _Throttled(f"Zoho token endpoint throttled: {body.get('error_description')}")
        if error in ("invalid_code", "invalid_client"):
            raise ZohoAuthError(REAUTHORISE.format(error=error))
        raise _Transient(f"HTTP {resp.status_code}, error {error or 'unknown'}")

    def _set(self, conn: Connection, **values: object) -> None:
        conn.execute(
            update(zoho_oauth_tokens)
            .where(zoho_oauth_tokens.c.client_key == self.key)
            .values(**values)
        )

    @staticmethod
    def _log(
        conn: Connection,
        refresh_type: str,
        success: bool,
        error: str | None,
        expires_at: datetime | None = None,
    ) -> None:
        conn.execute(
            insert(zoho_token_refresh_log).values(
                refresh_type=refresh_type,
                success=success,
                error_message=error,
                token_expires_at=expires_at,
                refreshed_at=utcnow(),
            )  # fmt: skip
        )
