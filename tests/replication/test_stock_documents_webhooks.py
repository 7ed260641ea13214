"""End to end over HTTP: the sandbox's workflow-rule webhooks for sales orders, inventory
adjustments (to `inventory-adjustments`, and to `stock` as TSH's Zoho sends them) and transfer
orders reach the receiver, are queued as their registry entity, and applied to the replica
with their line items through the one write path."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, all_rows
from tests.webhooks.helpers import NEW_SECRET, receiver_env, receiver_process
from tests.zoho_client.conftest import settings_for
from tsh_db.engine import get_engine
from tsh_db.schema import metadata, tds_sync_queue
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

SMALL_WORLD = {"items": 20, "customers": 5, "vendors": 2, "invoices": 2, "bills": 2,
               "creditnotes": 2, "salesorders": 4, "inventory_adjustments": 6,
               "transfer_orders": 4}  # fmt: skip
SANDBOX_NAME = {"inventory_adjustments": "inventoryadjustments",
                "transfer_orders": "transferorders", "sales_orders": "salesorders"}  # fmt: skip


def queued(engine: Engine) -> list[Any]:
    q = tds_sync_queue.c
    with engine.connect() as conn:
        return conn.execute(
            select(q.entity_type, q.zoho_entity_id, q.event_type, q.queued_at, q.inbox_event_id)
            .order_by(q.id)
        ).all()  # fmt: skip


def wait_for(engine: Engine, n: int, timeout: float = 20.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    rows = queued(engine)
    while len(rows) < n and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = queued(engine)
    return rows


def payload_of(engine: Engine, inbox_id: int) -> Any:
    t = metadata.tables["tds_inbox_events"]
    with engine.connect() as conn:
        return conn.scalar(select(t.c.raw_payload).where(t.c.id == inbox_id))


def stock_route_deliveries(receiver: Any) -> float:
    text = receiver.get("/metrics").text
    found = re.search(r'deliveries_total\{outcome="queued",route="stock"\} (\S+)', text)
    found = found or re.search(r'deliveries_total\{route="stock",outcome="queued"\} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def test_document_webhooks_reach_the_replica_with_their_line_items(
    db_url: str, tmp_path: Path
) -> None:
    engine = get_engine(db_url)
    with receiver_process(receiver_env(db_url), tmp_path / "receiver.log") as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        with SandboxProcess(**SMALL_WORLD, webhook_url=hooks, webhook_secret=NEW_SECRET,
                            webhook_backoff=0.1) as sb:  # fmt: skip
            expected: list[tuple[str, str, str]] = []

            def mutate(name: str, action: str, event: str, ids: list[str] | None = None) -> str:
                record = sb.mutate(SANDBOX_NAME[name], action, count=1, ids=ids)["records"][0]
                expected.append((name, record["id"], event))
                return str(record["id"])

            adjustments = sorted(str(r["inventory_adjustment_id"])
                                 for r in sb.records("inventoryadjustments"))  # fmt: skip
            mutate("inventory_adjustments", "update", "edited", [adjustments[0]])
            mutate("transfer_orders", "create", "created")
            mutate("sales_orders", "update", "edited")
            sb.switches(adjustments_route="stock")  # TSH's Zoho: adjustments go to /stock
            on_stock = mutate("inventory_adjustments", "create", "created")
            gone = mutate("inventory_adjustments", "delete", "deleted", [adjustments[-1]])
            rows = wait_for(engine, len(expected))
            assert {(r[0], r[1], r[2]) for r in rows} == set(expected)
            assert stock_route_deliveries(receiver) == 2  # the create and the delete
            with ZohoClient(settings_for(sb, **ROOMY), engine) as client:
                for row in rows:
                    apply_event(client, engine, row.entity_type, row.zoho_entity_id,
                                row.event_type, payload_of(engine, row.inbox_event_id),
                                row.queued_at)  # fmt: skip
            truths = {n: {str(r[BY_NAME[n].id_field]): r for r in sb.records(s)}
                      for n, s in SANDBOX_NAME.items()}  # fmt: skip
    for name, zoho_id, event in expected:
        _assert_applied(engine, name, zoho_id, truths[name].get(zoho_id), event)
    assert on_stock in truths["inventory_adjustments"] and gone not in truths[
        "inventory_adjustments"]  # fmt: skip


def _assert_applied(
    engine: Engine, name: str, zoho_id: str, truth: dict | None, event: str
) -> None:
    entity = BY_NAME[name]
    table = metadata.tables[name]
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.zoho_id == zoho_id)).mappings().one()
    if event == "deleted":
        assert truth is None and row["deleted_at"] is not None
        return
    assert truth is not None and row["deleted_at"] is None
    assert row["source"] == entity.api
    lines = [r for r in all_rows(engine, str(entity.line_items_table))
             if r[str(entity.line_items_parent_column)] == zoho_id]  # fmt: skip
    assert {r["zoho_line_item_id"] for r in lines} == {
        str(li["line_item_id"]) for li in truth["line_items"]
    }
    assert row["details_modified_time"] == row["zoho_last_modified_time"] is not None
