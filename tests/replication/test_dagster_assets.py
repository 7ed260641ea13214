"""The assets as Dagster runs them: metadata, audit rows, partitions, definitions."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import live_rows
from tsh_db.schema import invoice_line_items, tds_sync_runs
from tsh_pipelines.assets.catalog import CATALOG_ASSETS
from tsh_pipelines.assets.common import MODE_TAG
from tsh_pipelines.assets.documents import DOCUMENT_ASSETS, MONTHLY
from tsh_pipelines.definitions import defs
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sensors import initial_sync_sensor
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

INVOICES_SYNC = next(a for a in DOCUMENT_ASSETS if a.node_def.name == "invoices_sync")


def resources(sandbox: SandboxProcess, db_url: str) -> dict:
    return {
        "database": DatabaseResource(url=db_url),
        "zoho": ZohoResource(
            **{k: v for k, v in DEMO_CREDENTIALS.items()},
            api_base_url=sandbox.url, accounts_url=sandbox.url,
            books_rpm=100_000, inventory_rpm=100_000,
        ),
    }  # fmt: skip


def materializations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], dict]:
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        out[(mat.asset_key.to_user_string(), mat.partition)] = {
            k: v.value for k, v in mat.metadata.items()
        }
    return out


def test_catalog_assets_report_rows_calls_and_preview(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    result = dg.materialize(CATALOG_ASSETS, resources=resources(fresh_sandbox, db_url))
    assert result.success
    mats = materializations(result)
    products = mats[("products", None)]
    items = fresh_sandbox.records("items")
    # the Books step writes the Books items; the Inventory step the rest, on Inventory alone
    assert products["rows_inserted"] == sum(1 for i in items if i["source"] == "books")
    assert set(products["zoho_calls_by_api"]) == {"books"}
    stock = mats[("product_warehouse_stock", None)]
    assert set(stock["zoho_calls_by_api"]) == {"inventory"}
    assert stock["inventory_only_items"] == sum(1 for i in items if i["source"] != "books")
    assert products["zoho_calls"] == products["pages"]
    assert "zoho_id" in products["preview"] and "TSH-" in products["preview"]
    assert mats[("product_prices", None)]["rows_inserted"] > 0
    with engine.connect() as conn:
        runs = conn.execute(
            select(tds_sync_runs.c.entity_type, tds_sync_runs.c.status, tds_sync_runs.c.api_calls)
            .where(tds_sync_runs.c.dagster_run_id == result.run_id)
        ).all()  # fmt: skip
    assert {r.entity_type for r in runs} == {
        "products", "product_warehouse_stock", "warehouses", "customers", "vendors", "price_lists",
        "zoho_users", "taxes", "currencies", "chart_of_accounts",
    }  # fmt: skip
    assert all(r.status == "completed" and r.api_calls > 0 for r in runs)


def test_backfill_range_is_one_run_and_incremental_marks_old_months(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    res = resources(fresh_sandbox, db_url)
    backfill = dg.materialize(
        [INVOICES_SYNC], resources=res,
        tags={"dagster/asset_partition_range_start": "2025-01-01",
              "dagster/asset_partition_range_end": "2025-03-01"},
    )  # fmt: skip
    assert backfill.success
    months = {p for (key, p) in materializations(backfill) if key == "invoices"}
    assert months == {"2025-01-01", "2025-02-01", "2025-03-01"}
    truth = {r["invoice_id"] for r in fresh_sandbox.records("invoices") if r["date"] < "2025-04-01"}
    assert set(live_rows(engine, "invoices")) == truth

    old = sorted(fresh_sandbox.records("invoices"), key=lambda r: r["date"])[0]
    fresh_sandbox.mutate("invoices", "update", ids=[old["invoice_id"]], fields={"balance": 0})
    latest = MONTHLY.get_last_partition_key()
    incremental = dg.materialize(
        [INVOICES_SYNC], resources=res, partition_key=latest, tags={MODE_TAG: "incremental"}
    )
    mats = materializations(incremental)
    assert ("invoices", old["date"][:7] + "-01") in mats  # the UI shows the touched month
    assert ("invoices", latest) in mats


def test_definitions_load_and_validate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"products", "invoices", "invoice_line_items", "product_prices"} <= keys
    cmd = ["definitions", "validate", "-m", "tsh_pipelines.definitions"]
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", *cmd],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


def line_item_parents(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(invoice_line_items.c.invoice_zoho_id).distinct()))


RANGE = {"dagster/asset_partition_range_start": "2025-01-01",
         "dagster/asset_partition_range_end": "2025-03-01"}  # fmt: skip


def test_documents_and_their_line_items_materialize_apart(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    res = resources(fresh_sandbox, db_url)
    truth = {r["invoice_id"] for r in fresh_sandbox.records("invoices") if r["date"] < "2025-04-01"}
    docs = dg.materialize([INVOICES_SYNC], selection=["invoices"], resources=res, tags=RANGE)
    mats = materializations(docs)
    assert {key for key, _ in mats} == {"invoices"}
    listing = mats[("invoices", "2025-01-01")]
    assert listing["details_fetched"] == 0  # the listing alone: no detail call
    assert not [e for e in listing["zoho_calls_by_endpoint"] if e.endswith("{id}")]
    assert listing["progress_done"] == listing["progress_total"] == len(truth)
    assert set(live_rows(engine, "invoices")) == truth
    assert line_item_parents(engine) == set()

    items = dg.materialize(
        [INVOICES_SYNC], selection=["invoice_line_items"], resources=res, tags=RANGE
    )
    mats = materializations(items)
    assert {key for key, _ in mats} == {"invoice_line_items"}
    assert mats[("invoice_line_items", "2025-02-01")]["documents_detailed"] == len(truth)
    assert line_item_parents(engine) == truth  # every document of the range has them now
    again = dg.materialize(
        [INVOICES_SYNC], selection=["invoice_line_items"], resources=res, tags=RANGE
    )
    assert materializations(again)[("invoice_line_items", "2025-01-01")]["documents_detailed"] == 0


def test_a_run_with_no_partition_covers_every_month(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    records = fresh_sandbox.records("invoices")
    result = dg.materialize([INVOICES_SYNC], resources=resources(fresh_sandbox, db_url))
    assert result.success
    valid = set(MONTHLY.get_partition_keys())
    months = {r["date"][:7] + "-01" for r in records} & valid
    mats = materializations(result)
    assert {p for key, p in mats if key == "invoices"} == months
    assert {p for key, p in mats if key == "invoice_line_items"} == months
    (summary,) = [e.asset_observation_data.asset_observation  # type: ignore[union-attr]
                  for e in result.get_asset_observation_events()
                  if e.asset_key == dg.AssetKey("invoices")]  # fmt: skip
    assert summary.metadata["records_listed"].value == len(records)
    assert set(live_rows(engine, "invoices")) == {r["invoice_id"] for r in records}


def test_initial_sync_sensor_asks_once_and_only_for_a_replica_never_synced(
    db_url: str, engine: Engine
) -> None:
    database = DatabaseResource(url=db_url)
    with dg.instance_for_test() as instance:
        first = initial_sync_sensor(dg.build_sensor_context(instance=instance, resources={
            "database": database}))  # fmt: skip
        assert isinstance(first, dg.SensorResult)
        assert [r.run_key for r in first.run_requests or []] == ["initial-sync"]
        later = dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                        resources={"database": database})  # fmt: skip
        assert isinstance(initial_sync_sensor(later), dg.SkipReason)
        finish_run(engine, start_run(engine, "products", "incremental", None),
                   SyncTotals("products", "incremental"), 3)  # fmt: skip
        synced = initial_sync_sensor(dg.build_sensor_context(instance=instance, resources={
            "database": database}))  # fmt: skip
        assert isinstance(synced, dg.SensorResult) and not synced.run_requests
