"""The catalogue version, read at most once per `version_ttl_ms`, and responses kept per version.

The pipelines bump `consumer_catalog_state.version` in every transaction that changes the
catalogue, so one version names one content. Every answer is keyed on it: the ETag, and the
in-process response cache. Said plainly, this is the freshness trade: a change reaches
answers once this process next reads the version, within `version_ttl_ms` (0.5 s by default);
a revalidation whose ETag is current is answered 304 without touching any table.

Ordering keeps ETags honest: the version is read before the data, so a body is never older
than the version it is filed under (at worst newer, which costs a client a download).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from tsh_consumer_api import queries


@dataclass(frozen=True)
class Snapshot:
    token: str  # version and change time: unique even if a restored backup reuses a version
    pricelist_code: str


class CatalogVersion:
    """The latest catalogue version this process has read; None while never built."""

    def __init__(
        self, engine: Engine, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.engine, self.ttl, self.clock = engine, ttl_seconds, clock
        self._value: Snapshot | None = None
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def _fresh(self) -> bool:
        return self._read_at is not None and self.clock() - self._read_at < self.ttl

    async def current(self) -> Snapshot | None:
        if self._fresh():
            return self._value
        return await run_in_threadpool(self.refresh)

    def refresh(self) -> Snapshot | None:
        # One reader at a time; the others answer with the version just read (at most a TTL
        # old) instead of queueing for the pool behind it.
        if not self._lock.acquire(blocking=self._read_at is None):
            return self._value
        try:
            if self._fresh():
                return self._value
            with self.engine.connect() as conn:
                row = conn.execute(queries.SNAPSHOT).first()
            built = row is not None and row.built_at is not None
            self._value = (
                Snapshot(f"{row.version}.{row.changed_at.timestamp():.6f}", row.pricelist_code)
                if built
                else None
            )
            self._read_at = self.clock()
            return self._value
        finally:
            self._lock.release()


class ResponseCache:
    """Bodies of successful answers for the current version, least recently used out first.

    Touched only from the event loop, so it needs no lock. A new version empties it: the
    entries of the old one can never be served again.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._token: str | None = None
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    def get(self, token: str, key: str) -> bytes | None:
        if token != self._token:
            self._token = token
            self._entries.clear()
            return None
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, token: str, key: str, body: bytes) -> None:
        if self.size == 0 or token != self._token:
            return  # computed for a version already replaced: not worth keeping
        self._entries[key] = body
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
