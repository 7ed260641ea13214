"""Run a whole replication the way the assets do, without Dagster, and read the result."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tsh_db.schema import metadata
from tsh_pipelines.entities import ENTITIES
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import INCREMENTAL, sync_entity
from tsh_pipelines.sync.state import SyncTotals, finish_run, start_run
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("tests.replication")
# The session sandbox has limits far above test use; the client is told the same.
ROOMY = {"books_rpm": 100_000, "inventory_rpm": 100_000}
# What the client is told besides: a soak's long churn must not hit the default daily plan.
CLIENT = {**ROOMY, "books_daily_limit": 10_000_000, "inventory_daily_limit": 10_000_000}
LISTED = [
    e for e in ENTITIES if e.name not in ("products", "product_warehouse_stock", "price_lists")
]


def replicate_all(
    sandbox: SandboxProcess, engine: Engine, mode: str = INCREMENTAL
) -> tuple[dict[str, SyncTotals], dict[str, int]]:
    """Every entity once; returns totals per entity and Zoho calls per entity."""
    totals: dict[str, SyncTotals] = {}
    calls: dict[str, int] = {}

    def run(name: str, fn: Any) -> None:
        run_id = start_run(engine, name, mode, None)  # as the assets record every sync
        with ZohoClient(settings_for(sandbox, **CLIENT), engine) as client:
            result = fn(client)
        if isinstance(result, tuple):
            totals[name], totals["product_prices"] = result
        else:
            totals[name] = result
        calls[name] = client.stats.total
        finish_run(engine, run_id, totals[name], calls[name])

    run("products", lambda c: sync_products(c, engine, mode=mode, log=log))
    run("product_warehouse_stock", lambda c: sync_stock(c, engine, mode=mode, log=log))
    run("price_lists", lambda c: sync_price_lists(c, engine, mode=mode, log=log))
    for entity in LISTED:
        run(entity.name, lambda c, e=entity: sync_entity(c, engine, e, mode=mode, log=log))
    return totals, calls


def live_rows(engine: Engine, table: str, *cols: str) -> dict[str, tuple]:
    t = metadata.tables[table]
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.zoho_id, *(t.c[c] for c in cols)).where(t.c.deleted_at.is_(None))
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def all_rows(engine: Engine, table: str) -> list[dict]:
    t = metadata.tables[table]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t)).mappings()]
