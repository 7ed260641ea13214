"""What every benchmark shares: throwaway databases, sandbox settings, timing, reporting."""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tsh_db import migrate
from tsh_db.engine import get_engine
from tsh_pipelines.entities import Entity
from tsh_pipelines.line_items import sync_with_details
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import inventory_listing, sync_stock
from tsh_pipelines.zoho import ZohoClient, ZohoSettings
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# The client is told the sandbox's limits; with --no-limits it must not throttle itself.
ROOMY = {
    "books_rpm": 1_000_000,
    "inventory_rpm": 1_000_000,
    "books_daily_limit": 10_000_000,
    "inventory_daily_limit": 10_000_000,
}
ORG_ID = DEMO_CREDENTIALS["organization_id"]

log = logging.getLogger("bench")


def setup_logging() -> None:
    """Benchmarks print their own figures; the product's per-page INFO logs stay quiet."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def temp_database(name: str, *, migrated: bool = True) -> Iterator[str]:
    """A fresh PostgreSQL database `tsh_bench_<name>` (dropped first and afterwards)."""
    db = f"tsh_bench_{name}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = pg_url(db)
    try:
        if migrated:
            migrate.upgrade(get_engine(url))
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def engine_for(url: str) -> Engine:
    return get_engine(url)


def settings_for(sandbox: SandboxProcess, **overrides: Any) -> ZohoSettings:
    values: dict[str, Any] = {
        **DEMO_CREDENTIALS,
        "api_base_url": sandbox.url,
        "accounts_url": sandbox.url,
        "log_every_calls": 1_000_000,
    }
    values.update(overrides)
    return ZohoSettings(**values)


def sandbox_totals(sandbox: SandboxProcess) -> dict[str, dict[str, Any]]:
    """Per-API `{"total": n, "by_status": {"200": n, "429": m}}` as the sandbox counted them."""
    return sandbox.stats()["totals"]  # type: ignore[no-any-return]


def count_status(totals: dict[str, dict[str, Any]], status: str) -> int:
    return sum(int(api["by_status"].get(status, 0)) for api in totals.values())


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def title(text_: str) -> None:
    print(f"\n== {text_} ==", flush=True)


def note(text_: str) -> None:
    print(f"   {text_}", flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table on stdout."""
    cells = [[_fmt(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "   "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("   " + "  ".join("-" * w for w in widths))
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def save(name: str, result: dict[str, Any]) -> None:
    """Keep the figures as JSON next to the printed table (bench/results/<name>.json)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")


def sync_item_listings(client: ZohoClient, engine: Engine, log: logging.Logger) -> SyncTotals:
    """Products at list level, both listings and no detail call: the Books item listing
    (`products`) and the Inventory listing of `product_warehouse_stock` (stock totals, the
    items only Inventory has)."""
    totals = sync_products(client, engine, mode=FULL_REFRESH, log=log)
    inventory_listing(client, engine, FULL_REFRESH, totals, set(), log)
    return totals


Log = logging.Logger | logging.LoggerAdapter


def sync_as_asset(
    client: ZohoClient, engine: Engine, entity: Entity, mode: str, log: Log
) -> SyncTotals:
    """One registry entity synced as its asset does it (tsh_pipelines/assets/*.py): items,
    their stock and price books by syncs of their own; every other entity by its listing,
    which reads the detail of each record new or changed, then the details a listing left
    stale (none after a clean listing; the assets run it to catch up a failed run)."""
    if entity.name == "products":
        return sync_products(client, engine, mode=mode, log=log)
    if entity.name == "product_warehouse_stock":
        return sync_stock(client, engine, mode=mode, log=log)
    if entity.name == "price_lists":
        return sync_price_lists(client, engine, mode=mode, log=log)[0]
    return sync_with_details(client, engine, entity, mode, log)
