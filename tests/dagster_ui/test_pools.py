"""Pools per Zoho API, sized so that no sync step waits for another to finish."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import yaml

from tsh_pipelines.assets.common import POOLS
from tsh_pipelines.definitions import defs
from tsh_pipelines.entities import ENTITIES

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ("dagster.yaml", "deploy/dagster.demo.yaml")


def steps_per_pool() -> Counter[str]:
    """How many steps of the replication graph take a slot of each pool."""
    graph = defs.resolve_asset_graph()
    steps = {graph.get(k).assets_def for k in graph.get_all_asset_keys()}
    return Counter(a.op.pool for a in steps if a.is_executable and a.op.pool)


def test_every_zoho_step_has_its_apis_pool_and_all_fit_at_once() -> None:
    pools = steps_per_pool()
    assert set(POOLS.values()) <= set(pools), pools  # books and inventory steps, each its own
    assert "zoho" not in pools  # the old single pool queued master data behind documents
    for name in INSTANCES:
        config = yaml.safe_load((ROOT / name).read_text())["concurrency"]["pools"]
        assert config["granularity"] == "op", name  # a slot per step, not per run
        for pool in POOLS.values():
            # "Materialize all" runs every step of a pool at once: none waits for a slot.
            assert config["default_limit"] >= pools[pool], (name, pool, pools[pool])


def test_each_entity_runs_in_the_pool_of_the_api_it_calls() -> None:
    """Books and Inventory work side by side: the Inventory step (stock, Inventory-only items)
    is its own asset in the Inventory pool, not part of the Books products step."""
    graph = defs.resolve_asset_graph()
    for entity in ENTITIES:
        node = graph.get(dg.AssetKey(entity.name))
        assert node.assets_def.op.pool == POOLS[entity.api], entity.name
    stock = graph.get(dg.AssetKey("product_warehouse_stock"))
    assert dg.AssetKey("products") in stock.parent_keys  # it needs the Books item listing
