"""The Inventory documents as Dagster runs them: group, pool, lineage, a month backfill of
the document and its line items in one run, and the daily checks built for them."""

from __future__ import annotations

import dagster as dg
from sqlalchemy.engine import Engine

from tests.replication.helpers import all_rows, live_rows
from tests.replication.test_dagster_assets import materializations, resources
from tsh_pipelines.assets.documents import DOCUMENT_ASSETS
from tsh_pipelines.checks import SPECS
from tsh_pipelines.definitions import defs
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.jobs import REPLICATION
from tsh_pipelines.reconciliation import RECONCILED
from zoho_sandbox.process import SandboxProcess

NEW = ("inventory_adjustments", "transfer_orders", "credit_notes", "sales_orders")
ASSETS = {a.node_def.name: a for a in DOCUMENT_ASSETS}


def test_each_document_is_a_partitioned_asset_feeding_its_line_items() -> None:
    for name in NEW:
        entity = BY_NAME[name]
        asset = ASSETS[f"{name}_sync"]
        keys = {k.to_user_string() for k in asset.keys}
        assert keys == {name, entity.line_items_table}
        line_items = dg.AssetKey(str(entity.line_items_table))
        # its document, and the items its lines name
        assert asset.asset_deps[line_items] == {dg.AssetKey(name), dg.AssetKey("products")}
        assert asset.partitions_def is not None and asset.can_subset
        assert asset.group_names_by_key[dg.AssetKey(name)] == entity.group
        assert asset.op.pool == f"zoho_{entity.api}"
        assert entity.moves_stock
    graph = defs.get_repository_def().asset_graph
    selected = {k.to_user_string() for k in REPLICATION.resolve(graph)}
    assert {"inventory_adjustment_line_items", "transfer_order_line_items"} <= selected
    checks = {spec.name for spec in SPECS}
    for name in NEW:
        assert {f"{name}_count_matches_zoho", f"{name}_reconciled"} <= checks
        assert name in RECONCILED


def test_a_month_backfill_materializes_adjustments_and_their_line_items(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    truth = {str(r["inventory_adjustment_id"]): r
             for r in fresh_sandbox.records("inventoryadjustments")}  # fmt: skip
    month = max(r["date"][:7] for r in truth.values())
    in_month = {z for z, r in truth.items() if r["date"].startswith(month)}
    result = dg.materialize(
        [ASSETS["inventory_adjustments_sync"]],
        resources=resources(fresh_sandbox, db_url),
        partition_key=f"{month}-01",
    )
    assert result.success
    mats = materializations(result)
    assert set(mats) == {("inventory_adjustments", f"{month}-01"),
                         ("inventory_adjustment_line_items", f"{month}-01")}  # fmt: skip
    listing = mats[("inventory_adjustments", f"{month}-01")]
    assert set(listing["zoho_calls_by_api"]) == {"inventory"}
    assert listing["details_fetched"] == len(in_month)
    assert set(live_rows(engine, "inventory_adjustments")) == in_month
    parents = {r["inventory_adjustment_zoho_id"]
               for r in all_rows(engine, "inventory_adjustment_line_items")}  # fmt: skip
    assert parents == in_month
