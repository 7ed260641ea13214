"""Prometheus metrics in an app-local registry.

An app-local `CollectorRegistry` (not the process-global default) lets several apps live in
one process, as they do in the tests, without "duplicated timeseries" errors. Queue depth is
read from the database at scrape time, so it is right whichever process moved the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tsh_db.queue import STATUSES
from tsh_db.schema import tds_sync_queue
from tsh_pipelines.entities import BY_ROUTE

log = logging.getLogger(__name__)

OUTCOMES = (
    "queued", "duplicate", "coalesced", "unauthorized", "invalid", "too_large", "unavailable",
)  # fmt: skip
# Deliveries to a route that does not exist share one label: a label per arbitrary path
# segment would let anyone grow the metric without bound.
UNKNOWN_ROUTE = "unknown"


class QueueDepthCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "tsh_webhook_database_up", "1 when the receiver's database answered this scrape."
        )
        try:
            counts = self._queue_counts()
        except (DBAPIError, PoolTimeout) as exc:
            log.warning("metrics: cannot read the queue depth: %s", getattr(exc, "orig", exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "tsh_sync_queue_depth", "tds_sync_queue rows by status.", labels=["status"]
        )
        for status in sorted(set(STATUSES) | set(counts)):
            depth.add_metric([status], counts.get(status, 0))
        yield depth

    def _queue_counts(self) -> dict[str, int]:
        stmt = select(tds_sync_queue.c.status, func.count()).group_by(tds_sync_queue.c.status)
        with self.engine.connect() as conn:
            return {status: int(n) for status, n in conn.execute(stmt)}


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "tsh_webhook_deliveries",
            "Webhook deliveries by route and outcome.",
            ["route", "outcome"],
            registry=self.registry,
        )
        # Every series exists from the start at 0, so rate() and alerts see the first event.
        for route in BY_ROUTE:
            for outcome in OUTCOMES:
                self.deliveries.labels(route, outcome)
        self.registry.register(QueueDepthCollector(engine))

    def count(self, route: str, outcome: str) -> None:
        label = route if route in BY_ROUTE else UNKNOWN_ROUTE
        self.deliveries.labels(label, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
