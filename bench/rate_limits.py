"""2. Rate-limit efficiency: a full sync under Zoho's limits, against the floor those allow.

The sandbox enforces Zoho's per-minute limits (100 calls a minute on Books, 25 on Inventory)
over a compressed "minute" (`--window`, default 3 s: 20x faster than real time, so the run
fits the time budget); the client is told the same window. The sync runs as the Dagster
job does, one entity after the other: products, per-warehouse stock (one Inventory detail
call per item), customers, invoices with line items (one Books detail call per invoice).

Floor = calls needed / allowed rate, per API, summed (one sync at a time). The target is a
wall time close to the floor with no 429 at all.

    python -m bench.rate_limits [--window 3] [--items 400 --invoices 1500 --customers 400]
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from bench.common import (
    Timer,
    count_status,
    note,
    save,
    settings_for,
    setup_logging,
    table,
    temp_database,
    title,
)
from tsh_db.engine import get_engine
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.products import sync_products, sync_warehouse_stock
from tsh_pipelines.sync.replicate import FULL_REFRESH, sync_entity
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.rate_limits")
BOOKS_RPM, INVENTORY_RPM = 100, 25


def steps(engine: Any) -> list[tuple[str, Callable[[ZohoClient], Any]]]:
    return [
        ("products", lambda c: sync_products(c, engine, mode=FULL_REFRESH, log=log)),
        ("product_warehouse_stock", lambda c: sync_warehouse_stock(c, engine, log=log)),
        (
            "customers",
            lambda c: sync_entity(c, engine, BY_NAME["customers"], mode=FULL_REFRESH, log=log),
        ),
        (
            "invoices (with line items)",
            lambda c: sync_entity(c, engine, BY_NAME["invoices"], mode=FULL_REFRESH, log=log),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=float, default=3.0, help="seconds per Zoho 'minute'")
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--invoices", type=int, default=1500)
    parser.add_argument("--customers", type=int, default=400)
    args = parser.parse_args()
    setup_logging()
    w = args.window
    title(
        f"2. Rate-limit efficiency: limits on ({BOOKS_RPM}/min Books, {INVENTORY_RPM}/min "
        f"Inventory), {args.items + args.invoices + args.customers:,} records"
    )
    note(
        f"the 'minute' is compressed to {w:g} s on both sides ({60 / w:g}x real time); "
        "allowed rates scale with it"
    )
    sandbox = SandboxProcess(
        items=args.items,
        invoices=args.invoices,
        customers=args.customers,
        books_rpm=BOOKS_RPM,
        inventory_rpm=INVENTORY_RPM,
        rate_window=w,
        inventory_only_items=5,
    )
    settings = {"books_rpm": BOOKS_RPM, "inventory_rpm": INVENTORY_RPM, "rate_window_seconds": w}
    rows, per_api = [], {"books": 0, "inventory": 0}
    client_429 = 0
    with sandbox, temp_database("rate") as url:
        engine = get_engine(url)
        total = Timer()
        for name, fn in steps(engine):
            with ZohoClient(settings_for(sandbox, **settings), engine) as client:
                timer = Timer()
                fn(client)
                seconds = timer.seconds
            by_api = client.stats.by_api()
            calls = {api: o.get("ok", 0) for api, o in by_api.items()}  # 429s are not needed
            for api, n in calls.items():
                per_api[api] += n
            floor = sum(n / (rpm_of(api) / w) for api, n in calls.items())
            client_429 += sum(o.get("429", 0) for o in by_api.values())
            rows.append(
                [
                    name,
                    calls.get("books", 0),
                    calls.get("inventory", 0),
                    seconds,
                    floor,
                    seconds / floor if floor else 0.0,
                ]
            )
        wall = total.seconds
        stats = sandbox.stats()
    totals = stats["totals"]
    floor = sum(n / (rpm_of(api) / w) for api, n in per_api.items())
    rows.append(
        [
            "all, one after the other",
            per_api["books"],
            per_api["inventory"],
            wall,
            floor,
            wall / floor,
        ]
    )
    table(["step", "Books calls", "Inventory calls", "wall s", "floor s", "wall/floor"], rows)
    sandbox_429 = count_status(totals, "429")
    peak = stats["peak_calls_per_minute"]
    note(f"429s received: {sandbox_429} (sandbox count), {client_429} (client count); target: 0")
    note(
        f"peak calls in any {w:g}-s window: Books {peak['books']}/{BOOKS_RPM}, "
        f"Inventory {peak['inventory']}/{INVENTORY_RPM}"
    )
    note(
        f"in real minutes: wall {wall * 60 / w / 60:.1f} min against a floor of "
        f"{floor * 60 / w / 60:.1f} min (client runs at 90% of the limit by design)"
    )
    save(
        "rate_limits",
        {
            "window_seconds": w,
            "wall_seconds": wall,
            "floor_seconds": floor,
            "calls": per_api,
            "sandbox_429": sandbox_429,
            "client_429": client_429,
            "peak_per_window": peak,
            "steps": rows,
        },
    )


def rpm_of(api: str) -> int:
    return BOOKS_RPM if api == "books" else INVENTORY_RPM


if __name__ == "__main__":
    main()
