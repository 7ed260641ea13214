"""3. Incremental sync with no changes: Zoho calls and time per entity.

Every entity is first synced in full (`full_refresh`, the weekly job's mode), then synced
incrementally with nothing changed in Zoho. The full sync of the same run is the baseline
each incremental figure is set against. Limits off, so the times are our own overhead.

    python -m bench.incremental
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from bench.common import (
    ROOMY,
    Timer,
    note,
    save,
    settings_for,
    setup_logging,
    table,
    temp_database,
    title,
)
from tsh_db.engine import get_engine
from tsh_pipelines.entities import ENTITIES
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, sync_entity
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.incremental")
SPECIAL = ("products", "product_warehouse_stock", "price_lists")
DATASET = {
    "items": 2000,
    "customers": 500,
    "vendors": 50,
    "invoices": 3000,
    "bills": 300,
    "creditnotes": 100,
    "salesorders": 300,
}
Sync = Callable[[ZohoClient, str], Any]


def syncs(engine: Engine) -> list[tuple[str, Sync]]:
    out: list[tuple[str, Sync]] = [
        ("products", lambda c, m: sync_products(c, engine, mode=m, log=log)),
        ("product_warehouse_stock", lambda c, m: sync_stock(c, engine, mode=m, log=log)),
        ("price_lists", lambda c, m: sync_price_lists(c, engine, mode=m, log=log)),
    ]
    for entity in ENTITIES:
        if entity.name not in SPECIAL:
            out.append(
                (entity.name, lambda c, m, e=entity: sync_entity(c, engine, e, mode=m, log=log))
            )
    return out


def records_of(result: Any) -> int:
    totals = result[0] if isinstance(result, tuple) else result
    return int(totals.records)


def run(sandbox: SandboxProcess, engine: Engine, mode: str) -> dict[str, dict[str, Any]]:
    out = {}
    for name, fn in syncs(engine):
        with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
            timer = Timer()
            result = fn(client, mode)
            out[name] = {
                "calls": client.stats.total,
                "seconds": timer.seconds,
                "records": records_of(result),
            }
    return out


def main() -> None:
    setup_logging()
    title("3. Incremental sync with no changes, per entity (baseline: the full sync before it)")
    note("dataset: " + ", ".join(f"{v:,} {k}" for k, v in DATASET.items()) + "; limits off")
    with SandboxProcess(no_limits=True, **DATASET) as sandbox, temp_database("incr") as url:
        engine = get_engine(url)
        full = run(sandbox, engine, FULL_REFRESH)
        incremental = run(sandbox, engine, INCREMENTAL)
    rows = []
    for name, inc in incremental.items():
        f = full[name]
        rows.append(
            [
                name,
                inc["calls"],
                inc["seconds"] * 1000,
                inc["records"],
                f["calls"],
                f["seconds"] * 1000,
            ]
        )
    rows.append(
        [
            "all entities",
            sum(i["calls"] for i in incremental.values()),
            sum(i["seconds"] for i in incremental.values()) * 1000,
            sum(i["records"] for i in incremental.values()),
            sum(f["calls"] for f in full.values()),
            sum(f["seconds"] for f in full.values()) * 1000,
        ]
    )
    table(["entity", "incr calls", "incr ms", "incr records", "full calls", "full ms"], rows)
    note(
        "incremental lists with last_modified_time >= watermark - 2 min, so the newest "
        "records are listed again (and left unchanged)"
    )
    save("incremental", {"dataset": DATASET, "full": full, "incremental": incremental})


if __name__ == "__main__":
    main()
