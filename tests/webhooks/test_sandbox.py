"""End to end: the Zoho sandbox's mutations emit signed webhooks that land in the inbox."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select

from tests.webhooks.helpers import NEW_SECRET, receiver_env, receiver_process
from tsh_db.engine import get_engine
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from zoho_sandbox import process

T = TypeVar("T")

# no payments: an invoice deleted would otherwise also edit the payment applied to it
SMALL_WORLD = {"items": 20, "customers": 5, "vendors": 2, "invoices": 10, "bills": 5,
               "creditnotes": 3, "salesorders": 2, "customer_payments": 0,
               "vendor_payments": 0}  # fmt: skip
# (sandbox entity, action, count) -> (registry entity, event) of the events they emit
MUTATIONS = [
    (("items", "update", 2), ("products", "edited")),
    (("contacts", "create", 1), ("customers", "created")),
    (("invoices", "delete", 1), ("invoices", "deleted")),
    (("stock", "update", 1), ("product_warehouse_stock", "edited")),
    (("pricebooks", "update", 1), ("price_lists", "edited")),
]


def test_sandbox_webhooks_land_in_inbox_and_queue(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    with receiver_process(receiver_env(db_url), tmp_path / "receiver.log") as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        with process.SandboxProcess(
            **SMALL_WORLD,
            webhook_url=hooks,
            webhook_secret=NEW_SECRET,
            webhook_backoff=0.1,
            stock_item_webhooks=True,  # the stock mutation's item goes to /stock (off by default)
        ) as sandbox:
            expected = set()
            for (entity, action, count), (name, event) in MUTATIONS:
                result = sandbox.mutate(entity, action, count=count)
                expected |= {(name, r["id"], event) for r in result["records"]}
                # with the switch on, items a document moved (the invoice's delete) go too
                moved = [i for r in result["records"] for i in r.get("stock_moved", [])]
                expected |= {("product_warehouse_stock", i, "edited") for i in moved}
            stored = _poll(lambda: _queued(db_url), lambda rows: len(rows) >= len(expected))
            # The sandbox counts a delivery once it has read the 202, just after the commit.
            webhooks = _poll(lambda: sandbox.stats()["webhooks"], lambda w: w["pending"] == 0)
    assert stored == expected
    assert (webhooks["delivered"], webhooks["failed"]) == (len(expected), 0)
    with engine.connect() as conn:
        orphans = conn.execute(
            select(tds_sync_queue.c.id).where(tds_sync_queue.c.inbox_event_id.is_(None))
        ).all()
    assert orphans == []


def _queued(db_url: str) -> set[tuple[str, str, str]]:
    q = tds_sync_queue.c
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(
            select(q.entity_type, q.zoho_entity_id, q.event_type).join(
                tds_inbox_events, tds_inbox_events.c.id == q.inbox_event_id
            )
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _poll(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 20.0) -> T:
    """Deliveries are asynchronous: read again, for a bounded time, until `done` holds."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value
