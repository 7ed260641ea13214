"""The documents that move stock, against the sandbox over HTTP on both dialects: inventory
adjustments and transfer orders (Inventory), and the line items of credit notes and sales
orders (Books). Listed, detailed only when changed, backfilled by month, deletes confirmed,
reconciled and repaired."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, all_rows, live_rows, log
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import metadata
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.reconcile import reconcile_entity
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, RANGE, sync_entity
from tsh_pipelines.sync.state import SyncTotals, get_watermark
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

# registry entity -> (sandbox entity, {column: Zoho field}, {line column: Zoho line field})
DOCS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "inventory_adjustments": (
        "inventoryadjustments",
        {"date": "date", "reason": "reason", "adjustment_type": "adjustment_type",
         "status": "status", "reference_number": "reference_number", "total": "total"},
        {"product_zoho_id": "item_id", "sku": "sku", "quantity_adjusted": "quantity_adjusted",
         "value_adjusted": "value_adjusted", "warehouse_zoho_id": "warehouse_id",
         "warehouse_name": "warehouse_name"},
    ),
    "transfer_orders": (
        "transferorders",
        {"transfer_order_number": "transfer_order_number", "date": "date", "status": "status",
         "from_warehouse_zoho_id": "from_warehouse_id", "to_warehouse_name": "to_warehouse_name",
         "to_warehouse_zoho_id": "to_warehouse_id"},
        {"product_zoho_id": "item_id", "name": "name", "quantity_transfer": "quantity_transfer"},
    ),
    "credit_notes": (
        "creditnotes", {"creditnote_number": "creditnote_number", "total": "total"},
        {"product_zoho_id": "item_id", "quantity": "quantity", "rate": "rate"},
    ),
    "sales_orders": (
        "salesorders", {"salesorder_number": "salesorder_number", "status": "status"},
        {"product_zoho_id": "item_id", "quantity": "quantity", "item_total": "item_total"},
    ),
}  # fmt: skip
INVENTORY_DOCS = {"inventory_adjustments": "inventoryadjustments", "transfer_orders":
                  "transferorders"}  # fmt: skip


def same(stored: Any, truth: Any) -> bool:
    if stored is None or truth in (None, ""):
        return stored is None and truth in (None, "")
    if isinstance(stored, Decimal | float) or isinstance(truth, int | float):
        return Decimal(str(stored)) == Decimal(str(truth))
    return str(stored) == str(truth)


def sync(sandbox: SandboxProcess, engine: Engine, name: str, mode: str = INCREMENTAL,
         **dates: date) -> tuple[SyncTotals, Counter]:  # fmt: skip
    with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
        totals = sync_entity(client, engine, BY_NAME[name], mode=mode, log=log, **dates)
    return totals, Counter(client.stats.by_endpoint())


def truth_of(sandbox: SandboxProcess, name: str) -> dict[str, dict]:
    entity = BY_NAME[name]
    return {str(r[entity.id_field]): r for r in sandbox.records(DOCS[name][0])}


def assert_replica_is(sandbox: SandboxProcess, engine: Engine, name: str) -> None:
    """Live rows, their fields and every line of every document equal the sandbox's."""
    entity, (_, fields, line_fields) = BY_NAME[name], DOCS[name]
    truth = truth_of(sandbox, name)
    rows = live_rows(engine, name, *fields)
    assert set(rows) == set(truth), name
    for zoho_id, values in rows.items():
        for (column, field), value in zip(fields.items(), values, strict=True):
            want = truth[zoho_id][field]
            assert same(value.isoformat() if isinstance(value, date) else value, want), (
                name, zoho_id, column, value, want)  # fmt: skip
    lines: dict[str, dict[str, dict]] = {}
    for row in all_rows(engine, str(entity.line_items_table)):
        lines.setdefault(row[str(entity.line_items_parent_column)], {})[
            row["zoho_line_item_id"]] = row  # fmt: skip
    for zoho_id, record in truth.items():
        stored = lines.get(zoho_id, {})
        assert set(stored) == {str(li["line_item_id"]) for li in record["line_items"]}, zoho_id
        for line in record["line_items"]:
            row = stored[str(line["line_item_id"])]
            wrong = [c for c, f in line_fields.items() if not same(row[c], line.get(f))]
            assert not wrong, (name, zoho_id, wrong)


@pytest.mark.parametrize("name", list(DOCS))
def test_a_listing_lands_each_document_with_its_line_items(
    fresh_sandbox: SandboxProcess, engine: Engine, name: str
) -> None:
    entity = BY_NAME[name]
    totals, calls = sync(fresh_sandbox, engine, name)
    truth = truth_of(fresh_sandbox, name)
    assert len(truth) >= 10 and all(r["line_items"] for r in truth.values())
    assert_replica_is(fresh_sandbox, engine, name)
    assert totals.details_fetched == len(truth) == calls[f"{entity.api}:{entity.path}/{{id}}"]
    sources = {r[0] for r in live_rows(engine, name, "source").values()}
    assert sources == {entity.api}


def test_incremental_lists_only_changed_documents_and_details_only_those(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    for name in DOCS:
        sync(fresh_sandbox, engine, name)
    changed: dict[str, set[str]] = {}
    for name, sandbox_name in INVENTORY_DOCS.items():
        edited = fresh_sandbox.mutate(sandbox_name, "update", count=2)["records"]
        created = fresh_sandbox.mutate(sandbox_name, "create", count=1)["records"]
        changed[name] = {r["id"] for r in edited + created}
    changed["sales_orders"] = {
        r["id"] for r in fresh_sandbox.mutate("salesorders", "update", count=1)["records"]
    }
    for name in DOCS:
        entity = BY_NAME[name]
        totals, calls = sync(fresh_sandbox, engine, name)
        want = changed.get(name, set())
        # the changed ones, and at most what the cursor's overlap lists again, unchanged
        assert totals.counts.inserted + totals.counts.updated == len(want), name
        assert totals.records == len(want) + totals.counts.unchanged, name
        assert totals.details_fetched == len(want) == calls[f"{entity.api}:{entity.path}/{{id}}"]
        assert calls[f"{entity.api}:{entity.path}"] == 1, name  # one listing page
        assert_replica_is(fresh_sandbox, engine, name)


@pytest.mark.parametrize("name", list(INVENTORY_DOCS))
def test_a_month_backfill_lists_that_month_only(
    fresh_sandbox: SandboxProcess, engine: Engine, name: str
) -> None:
    truth = truth_of(fresh_sandbox, name)
    month = Counter(r["date"][:7] for r in truth.values()).most_common(1)[0][0]
    start = date.fromisoformat(f"{month}-01")
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    totals, calls = sync(fresh_sandbox, engine, name, RANGE, date_start=start, date_end=end)
    in_month = {z for z, r in truth.items() if r["date"].startswith(month)}
    assert set(live_rows(engine, name)) == in_month
    assert totals.touched_partitions == {start.isoformat()}
    assert totals.details_fetched == len(in_month)
    assert get_watermark(engine, name) is None  # a backfill moves no watermark
    entity = BY_NAME[name]
    parents = {r[str(entity.line_items_parent_column)] for r in
               all_rows(engine, str(entity.line_items_table))}  # fmt: skip
    assert parents == in_month


def test_deletes_are_tombstoned_once_zoho_confirms_them(
    fresh_sandbox: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOHO_DELETE_CONFIRM_SECONDS", "0")
    for name in INVENTORY_DOCS:
        sync(fresh_sandbox, engine, name)
    gone = {name: fresh_sandbox.mutate(sandbox_name, "delete", count=1)["records"][0]["id"]
            for name, sandbox_name in INVENTORY_DOCS.items()}  # fmt: skip
    for name in INVENTORY_DOCS:
        sync(fresh_sandbox, engine, name)  # incremental: no listing shows a delete
        assert gone[name] in live_rows(engine, name)
        totals, _ = sync(fresh_sandbox, engine, name, FULL_REFRESH)
        assert totals.soft_deleted == 1
        assert gone[name] not in live_rows(engine, name)
        assert_replica_is(fresh_sandbox, engine, name)


def test_the_reconciliation_finds_and_repairs_drift_in_the_new_tables(
    fresh_sandbox: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOHO_DELETE_CONFIRM_SECONDS", "0")
    for name in DOCS:
        sync(fresh_sandbox, engine, name)
    adjustments, transfers = sorted(truth_of(fresh_sandbox, "inventory_adjustments")), sorted(
        truth_of(fresh_sandbox, "transfer_orders"))  # fmt: skip
    notes = sorted(truth_of(fresh_sandbox, "credit_notes"))
    t_adj, t_adj_lines = (
        metadata.tables[n] for n in ("inventory_adjustments", "inventory_adjustment_line_items")
    )
    t_to, t_cn = metadata.tables["transfer_orders"], metadata.tables["credit_notes"]
    invented = "5400799999999999998"
    with engine.begin() as conn:
        conn.execute(delete(t_adj).where(t_adj.c.zoho_id == adjustments[0]))  # missing
        conn.execute(
            delete(t_adj_lines).where(  # line items lost, the version unchanged
                t_adj_lines.c.inventory_adjustment_zoho_id == adjustments[1]
            )
        )
        conn.execute(update(t_adj).where(t_adj.c.zoho_id == adjustments[1])
                     .values(details_modified_time=None))  # fmt: skip
        aged = conn.scalar(select(t_to.c.zoho_last_modified_time).where(
            t_to.c.zoho_id == transfers[0]))  # fmt: skip
        conn.execute(
            update(t_to)
            .where(t_to.c.zoho_id == transfers[0])
            .values(zoho_last_modified_time=aged - timedelta(days=1), status="x")
        )
        note = dict(conn.execute(select(t_cn).where(t_cn.c.zoho_id == notes[0])).mappings().one())
        note.pop("id")
        conn.execute(insert(t_cn).values({**note, "zoho_id": invented}))  # extra
    expected = {
        "inventory_adjustments": {"missing": [adjustments[0]], "line_items": [adjustments[1]]},
        "transfer_orders": {"stale": [transfers[0]]},
        "credit_notes": {"extra": [invented]},
        "sales_orders": {},
    }
    with ZohoClient(settings_for(fresh_sandbox, **ROOMY), engine) as client:
        for name, kinds in expected.items():
            drift = reconcile_entity(client, engine, BY_NAME[name], repair=True, log=log)
            assert drift.found == kinds, name
            assert drift.unrepaired == 0 and drift.error is None, name
            assert_replica_is(fresh_sandbox, engine, name)
            again = reconcile_entity(client, engine, BY_NAME[name], repair=False, log=log)
            assert again.found == {}, name
