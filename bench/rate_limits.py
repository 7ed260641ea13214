"""2. Rate-limit efficiency: a first full sync under Zoho's limits, against the floor.

An organisation of 5,000 items in 3 warehouses, 2,000 customers, 20,000 invoices and 2,000
bills, in both kinds of Inventory organisation: `locations` (the items listing carries
per-location stock) and `warehouses` (per-warehouse stock only from one detail call per
item). The sandbox enforces Zoho's per-minute limits (100 calls a minute on Books, 25 on
Inventory) over a compressed "minute" (`--window`, default 3 s: 20x real time, said in the
output); the client is told the same window. The daily limit is lifted: this sync needs
more Books calls than the largest plan's 10,000 a day (see the output).

Steps run as the `full_sync` job runs them: each asset its own client (a Dagster step is a
process), every Books step at once in the `zoho_books` pool, the Inventory step once the
Books item listing is in, in the `zoho_inventory` pool, all sharing the org-wide limiter.

Floor, per API: the calls needed (Σ⌈N/200⌉ listings, one detail call per document with line
items, and per item in `warehouses` mode), and the wall time those calls need at Zoho's
allowed rate; the sync's floor is the slower API's. Goals: calls ≤ 1.02x, wall ≤ 1.15x, no
429.

    python -m bench.rate_limits [--window 3] [--modes locations,warehouses] [--items 5000 ...]
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Callable
from math import ceil
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
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH, sync_entity
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.rate_limits")
RPM = {BOOKS: 100, INVENTORY: 25}
PER_PAGE = 200
UNLIMITED_DAY = 10_000_000
Step = Callable[[ZohoClient], Any]


def steps(engine: Any) -> dict[str, tuple[str, Step, str | None]]:
    """name -> (API, sync, the step it waits for), as the asset graph has them."""

    def listing(name: str) -> Step:
        return lambda c: sync_entity(c, engine, BY_NAME[name], mode=FULL_REFRESH, log=log)

    return {
        "products": (BOOKS, lambda c: sync_products(c, engine, mode=FULL_REFRESH, log=log), None),
        "customers": (BOOKS, listing("customers"), None),
        "invoices": (BOOKS, listing("invoices"), None),
        "bills": (BOOKS, listing("bills"), None),
        "warehouses": (INVENTORY, listing("warehouses"), None),
        "product_warehouse_stock": (
            INVENTORY, lambda c: sync_stock(c, engine, mode=FULL_REFRESH, log=log), "products",
        ),
    }  # fmt: skip


def floor_calls(sizes: dict[str, int], mode: str) -> dict[str, int]:
    """The fewest calls Zoho's API shapes allow for this organisation."""

    def pages(n: int) -> int:
        return max(1, ceil(n / PER_PAGE))

    items, inventory_items = sizes["items"], sizes["items"] + sizes["inventory_only_items"]
    books = (
        pages(items) + pages(sizes["contacts"]) + pages(sizes["invoices"]) + pages(sizes["bills"])
        + sizes["invoices"] + sizes["bills"]  # one detail call per document: its line items
    )  # fmt: skip
    inventory = pages(inventory_items) + 1  # the items listing, settings/warehouses
    if mode == "warehouses":
        inventory += inventory_items  # one detail call per item for per-warehouse stock
    return {BOOKS: books, INVENTORY: inventory}


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    w = args.window
    sandbox = SandboxProcess(
        items=args.items, customers=args.customers, vendors=args.vendors,
        invoices=args.invoices, bills=args.bills, creditnotes=0, salesorders=0,
        inventory_only_items=args.inventory_only, books_rpm=RPM[BOOKS],
        inventory_rpm=RPM[INVENTORY], rate_window=w, daily_limit=UNLIMITED_DAY,
        inventory_mode=mode, startup_timeout=300.0,
    )  # fmt: skip
    settings = {
        "books_rpm": RPM[BOOKS], "inventory_rpm": RPM[INVENTORY], "rate_window_seconds": w,
        "books_daily_limit": UNLIMITED_DAY, "inventory_daily_limit": UNLIMITED_DAY,
    }  # fmt: skip
    with sandbox, temp_database(f"rate_{mode}") as url:
        sizes = {
            "items": args.items, "inventory_only_items": args.inventory_only,
            "contacts": len(sandbox.records("contacts")),
            "invoices": len(sandbox.records("invoices")), "bills": len(sandbox.records("bills")),
        }  # fmt: skip
        engine = get_engine(url)
        results: dict[str, dict[str, Any]] = {}
        done = {name: threading.Event() for name in steps(engine)}
        errors: list[BaseException] = []

        def run(name: str, api: str, fn: Step, after: str | None) -> None:
            try:
                if after:
                    done[after].wait()
                with ZohoClient(settings_for(sandbox, **settings), engine) as client:
                    timer = Timer()
                    fn(client)
                    by_api = client.stats.by_api()
                results[name] = {"api": api, "seconds": timer.seconds, "started": timer.started,
                                 "by_api": by_api}  # fmt: skip
            except BaseException as exc:
                errors.append(exc)
            finally:
                done[name].set()

        wall = Timer()
        threads = [threading.Thread(target=run, args=(n, *spec), name=n)
                   for n, spec in steps(engine).items()]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = wall.seconds
        if errors:
            raise errors[0]
        stats = sandbox.stats()
    return summarise(mode, w, sizes, results, seconds, wall.started, stats)


def summarise(
    mode: str, w: float, sizes: dict[str, int], results: dict[str, dict[str, Any]],
    wall: float, started: float, stats: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    ok = {api: sum(r["by_api"].get(api, {}).get("ok", 0) for r in results.values())
          for api in RPM}  # fmt: skip
    floor = floor_calls(sizes, mode)
    floor_s = {api: floor[api] / (RPM[api] / w) for api in RPM}
    rows = []
    for name, r in results.items():
        calls = {api: r["by_api"].get(api, {}).get("ok", 0) for api in RPM}
        begin = r["started"] - started
        rows.append([name, r["api"], calls[BOOKS], calls[INVENTORY], begin, begin + r["seconds"]])
    table(["step", "pool", "Books calls", "Inventory calls", "started s", "ended s"], rows)
    slower = max(floor_s, key=lambda api: floor_s[api])
    totals = stats["totals"]
    out = {
        "mode": mode,
        "calls": ok,
        "floor_calls": floor,
        "calls_ratio": {api: ok[api] / floor[api] for api in RPM},
        "floor_seconds": floor_s,
        "wall_seconds": wall,
        "wall_ratio": wall / floor_s[slower],
        "slower_api": slower,
        "sandbox_429": count_status(totals, "429"),
        "client_429": sum(
            r["by_api"].get(api, {}).get("429", 0) for r in results.values() for api in RPM
        ),  # fmt: skip
        "peak_per_window": stats["peak_calls_per_minute"],
        "sizes": sizes,
    }
    table(
        ["API", "calls", "floor calls", "calls/floor", "floor s", "real-minute floor"],
        [[api, ok[api], floor[api], ok[api] / floor[api], floor_s[api],
          f"{floor_s[api] * 60 / w / 60:.1f} min"] for api in RPM],
    )  # fmt: skip
    note(
        f"{mode}: wall {wall:.1f} s against the slower API's ({slower}) floor of "
        f"{floor_s[slower]:.1f} s = {out['wall_ratio']:.3f}x (goal 1.15x); calls "
        f"{out['calls_ratio'][BOOKS]:.4f}x Books, {out['calls_ratio'][INVENTORY]:.4f}x "
        f"Inventory (goal 1.02x); 429s: {out['sandbox_429']} (sandbox), {out['client_429']} "
        f"(client); in real minutes {wall / w:.1f} min against {floor_s[slower] / w:.1f}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=float, default=3.0, help="seconds per Zoho 'minute'")
    parser.add_argument("--modes", default="locations,warehouses")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--inventory-only", type=int, default=5)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--vendors", type=int, default=30)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--bills", type=int, default=2000)
    args = parser.parse_args()
    setup_logging()
    title(
        f"2. Rate-limit efficiency: a first full sync, {args.items:,} items, "
        f"{args.customers:,} customers, {args.invoices:,} invoices, {args.bills:,} bills"
    )
    note(
        f"Zoho's limits ({RPM[BOOKS]}/min Books, {RPM[INVENTORY]}/min Inventory) over a "
        f"'minute' compressed to {args.window:g} s ({60 / args.window:g}x real time); the "
        "daily limit is lifted"
    )
    runs = {mode: run_mode(mode, args) for mode in args.modes.split(",")}
    books = next(iter(runs.values()))["calls"][BOOKS]
    note(
        f"a first sync of this organisation spends {books:,} Books calls: "
        f"{books / 10_000:.1f} days of the largest plan's 10,000-call daily limit"
    )
    save("rate_limits", {"window_seconds": args.window, "runs": runs})


if __name__ == "__main__":
    main()
