"""Everything at once: chaos in the sandbox, syncs of every kind, the webhook path end to end.

A `Churn` runs, concurrently and until told to stop: syncs in every mode (incremental, full
refresh, a backfill of a month range) of every entity, and the real webhook path (the
sandbox's signed deliveries → the receiver process → the queue → the sensor → the apply
job), while the sandbox edits, deletes and creates records between the pages it serves.
Then chaos stops and `settle` runs the documented cadence: deliveries drain, the queue
drains, the next incremental sync runs. The suite and `bench/soak.py` then compare.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from tests.realtime.test_realtime import run_sensor_once
from tests.replication.helpers import CLIENT, ROOMY, log, replicate_all
from tests.replication.test_dagster_assets import resources
from tests.webhooks.helpers import NEW_SECRET, receiver_env, receiver_process
from tests.zoho_client.conftest import settings_for
from tsh_db.engine import get_engine
from tsh_db.schema import tds_sync_queue, zoho_sync_state
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME, ENTITIES
from tsh_pipelines.stock_refresh import refresh_stock_job
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, RANGE, sync_entity
from tsh_pipelines.sync.stock_refresh import due_count
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

# Stock moves only through documents, as in Zoho: no hand stock edits, no item webhooks.
CHAOS_ENTITIES = ["items", "contacts", "invoices", "bills", "creditnotes", "salesorders",
                  "pricebooks", "inventoryadjustments", "transferorders", "estimates",
                  "customerpayments", "purchaseorders", "vendorcredits", "vendorpayments",
                  "expenses", "users", "taxes", "currencies", "chartofaccounts"]  # fmt: skip
SMALL = {"items": 60, "customers": 20, "vendors": 4, "invoices": 120, "bills": 20,
         "creditnotes": 10, "salesorders": 10, "inventory_only_items": 3,
         "customer_payments": 15, "vendor_payments": 4, "purchase_orders": 6, "estimates": 6,
         "vendor_credits": 3, "expenses": 10}  # fmt: skip
OPEN = ("pending", "claimed", "processing", "failed")


@contextmanager
def live_world(db_url: str, logs: Path, seed: int, **sandbox: Any) -> Iterator[SandboxProcess]:
    """A receiver process on `db_url` and a sandbox that delivers its webhooks to it."""
    with receiver_process(receiver_env(db_url), logs / f"receiver-{seed}.log") as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        options = {**SMALL, **ROOMY, "daily_limit": 10_000_000, "webhook_backoff": 0.1,
                   **sandbox}  # fmt: skip
        with SandboxProcess(seed=seed, webhook_url=hooks, webhook_secret=NEW_SECRET,
                            **options) as sb:  # fmt: skip
            yield sb


@dataclass
class Churn:
    sandbox: SandboxProcess
    engine: Engine
    db_url: str
    seed: int
    errors: list[str] = field(default_factory=list)
    syncs: int = 0
    applies: int = 0
    corners: int = 0

    workers: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, seconds: float, rate: float = 0.15, limit: float = 300) -> None:
        """Churn for `seconds`, and on until chaos has created, edited and deleted at least
        one record each and the sandbox has repeated at least one delivery, at most `limit`:
        a busy machine serves fewer calls and deliveries a second, so the storm the suite
        asserts is waited for, never assumed from the time that passed."""
        self.start(rate)
        started = time.monotonic()
        time.sleep(seconds)
        while time.monotonic() - started < limit and not all(self.activity().values()):
            time.sleep(1)
        self.stop()

    def chaos_done(self) -> dict[str, int]:
        return self._chaos_counts(self.sandbox.stats())

    def activity(self) -> dict[str, int]:
        """What the suite needs to have happened: chaos's creates, edits and deletes, and
        deliveries the sandbox repeated (the receiver's dedupe is under test)."""
        stats = self.sandbox.stats()
        return {**self._chaos_counts(stats), "repeated": stats["webhooks"]["repeated"]}

    @staticmethod
    def _chaos_counts(stats: dict[str, Any]) -> dict[str, int]:
        counts = stats["chaos"]["counts"]
        return {
            a: sum(c.get(a, 0) for c in counts.values()) for a in ("create", "update", "delete")
        }

    def start(self, rate: float) -> None:
        replicate_all(self.sandbox, self.engine, INCREMENTAL)  # the initial load, calm
        self.sandbox.chaos(seed=self.seed, rate=rate, entities=CHAOS_ENTITIES)
        rounds = (self._sync_round, self._apply_round, self._corner_round)
        self.workers = [threading.Thread(target=self._loop, args=(fn,), daemon=True)
                        for fn in rounds]  # fmt: skip
        for w in self.workers:
            w.start()

    def stop(self) -> None:
        self.sandbox.stop_chaos()
        self.stopping.set()
        for w in self.workers:
            w.join(timeout=300)

    def _loop(self, step: Callable[[int], None]) -> None:
        n = 0
        while not self.stopping.is_set():
            try:
                step(n)
            except Exception as exc:  # kept for the test to show, never swallowed
                self.errors.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
            n += 1

    def _sync_round(self, n: int) -> None:
        kind = n % 4  # incremental, full refresh, a backfill of some months, a full of them
        mode = (INCREMENTAL, FULL_REFRESH, RANGE, FULL_REFRESH)[kind]
        if kind >= 2:
            # as the UI launches a range backfill, and full_sync with partition-range tags,
            # between incrementals: neither may move the entity's watermark
            with ZohoClient(settings_for(self.sandbox, **CLIENT), self.engine) as client:
                sync_entity(
                    client,
                    self.engine,
                    BY_NAME["invoices"],
                    mode=mode,
                    date_start=date(2025, 6, 1),
                    date_end=date(2025, 9, 30),
                    log=log,
                )
        else:
            replicate_all(self.sandbox, self.engine, mode)
        self.syncs += 1

    def _corner_round(self, n: int) -> None:
        """Edits chaos does not make: two edits of one contact in one second (the webhooks of
        both race through the receiver and the apply runs), and stock A -> B -> A through two
        inventory adjustments."""
        contacts = self.sandbox.records("contacts")
        cid = str(contacts[(self.seed + n) % len(contacts)]["contact_id"])
        for phone, same in ((f"+964-{n}-1", False), (f"+964-{n}-2", True)):
            self.sandbox.mutate("contacts", "update", ids=[cid], fields={"phone": phone},
                                same_second=same)  # fmt: skip
        iid = str(self.sandbox.records("items")[n % 7]["item_id"])
        for moved in (7, -7):  # A -> B -> A by two adjustments; the item's version stays
            fields = {"adjustment_type": "quantity",
                      "line_items": [{"item_id": iid, "quantity_adjusted": moved}]}  # fmt: skip
            self.sandbox.mutate("inventoryadjustments", "create", fields=fields)
        self.corners += 1
        time.sleep(1.5)

    def _apply_round(self, _: int) -> None:
        self.applies += len(run_sensor_once(self.sandbox, self.db_url))
        time.sleep(0.2)


def open_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count()).select_from(tds_sync_queue)
            .where(tds_sync_queue.c.status.in_(OPEN))
        )  # fmt: skip


def settle(sandbox: SandboxProcess, engine: Engine, db_url: str, timeout: float = 120) -> float:
    """The documented cadence after chaos: deliveries and queue drain, then the next
    incremental sync. Returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        delivering = sandbox.stats()["webhooks"]["pending"]
        ran = run_sensor_once(sandbox, db_url)
        if not delivering and not ran and not open_events(engine):
            break
        time.sleep(0.2)
    a_day_later(engine)  # the settings' daily listing is part of the cadence too
    replicate_all(sandbox, engine, INCREMENTAL)
    refresh_due_stock(sandbox, db_url)  # what the listing scheduled: stock_refresh_sensor
    return time.monotonic() - started


def a_day_later(engine: Engine) -> None:
    """As if the settings listings' `refresh_hours` had passed since they last ran."""
    daily = [e.name for e in ENTITIES if e.refresh_hours]
    with engine.begin() as conn:
        conn.execute(
            update(zoho_sync_state).where(zoho_sync_state.c.entity.in_(daily))
            .values(updated_at=utcnow() - timedelta(days=2))
        )  # fmt: skip


def refresh_due_stock(sandbox: SandboxProcess, db_url: str) -> None:
    """`refresh_stock_job` in process until no item's stock is due, as the sensor would."""
    engine = get_engine(db_url)
    while due_count(engine):
        assert refresh_stock_job.execute_in_process(resources=resources(sandbox, db_url)).success
