"""2. Rate-limit efficiency: a first full sync of every registry entity under Zoho's limits,
against the floor.

The issue's organisation: 5,000 items in 3 warehouses, 2,030 contacts, 20,000 invoices,
2,000 bills, and issue 24's modules at sizes that follow them (`SHARE`, said in the output),
in either kind of Inventory organisation: `locations` (the items listing carries
per-location stock) or `warehouses` (per-warehouse stock only from one detail call per
item). The sandbox enforces Zoho's per-minute limits (100 calls a minute on Books, 25 on
Inventory) over a compressed "minute" (`--window`, default 3 s: 20x real time, said in the
output); the client is told the same window. The daily limit is lifted: this sync needs
more Books calls than the largest plan's 10,000 a day (see the output).

Steps run as the `full_sync` job runs them: one step per Zoho module (`BY_MODULE`: contacts
is one step, customers then vendors), each entity synced as its asset syncs it
(`bench.common.sync_as_asset`) with a client of its own (a Dagster step is a process) and
its listing's progress against Zoho's count; a step starts once the steps whose assets its
rows point at are done (`refers_to`: Dagster orders the job's steps by those deps), at most
8 steps per Zoho pool and 10 in all (dagster.yaml, `jobs.STEP_EXECUTOR`), every step
sharing the org-wide limiter (`--ignore-deps`: every step at once, to see what the order
costs). Not run: `product_images` (issue 25, `bench/images.py`).

Floor, per API: the calls Zoho's API shapes require (Σ⌈N/200⌉ listing pages per entity, the
contacts listed twice by type; one detail call per record of every entity with child rows,
per price book, and per item in `warehouses` mode; one call per settings listing), and the
wall time those calls need at Zoho's allowed rate; the sync's floor is the slower API's.
Besides the floor the assets ask Zoho's count once per listing that fills its first page
(the progress line): counted apart. Goals: calls ≤ 1.02x, wall ≤ 1.15x, no 429.

    python -m bench.rate_limits [--window 3] [--modes locations,warehouses] [--items 5000 ...]
"""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from math import ceil
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from bench.common import (
    Timer,
    count_status,
    note,
    save,
    settings_for,
    setup_logging,
    sync_as_asset,
    table,
    temp_database,
    title,
)
from tsh_db.engine import get_engine
from tsh_pipelines.assets.common import listing_progress
from tsh_pipelines.entities import BY_MODULE, ENTITIES, Entity
from tsh_pipelines.sync.replicate import FULL_REFRESH, history_start, list_params
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient, ZohoSettings
from zoho_sandbox.process import SandboxProcess

RPM = {BOOKS: 100, INVENTORY: 25}
PER_PAGE = 200
UNLIMITED_DAY = 10_000_000
POOL_STEPS, MAX_STEPS = 8, 10  # dagster.yaml pools.default_limit; jobs.STEP_EXECUTOR
# The organisation (sandbox options); None: a share of another size (SHARE).
SIZES: dict[str, int | None] = {
    "items": 5000, "inventory_only_items": 5, "customers": 2000, "vendors": 30,
    "invoices": 20000, "bills": 2000, "creditnotes": None, "salesorders": None,
    "customer_payments": None, "vendor_payments": None, "purchase_orders": None,
    "estimates": None, "vendor_credits": None, "expenses": None,
    "inventory_adjustments": None, "transfer_orders": None,
}  # fmt: skip
# A distributor's proportions: 3 in 10 invoices paid by a payment of their own (the rest in
# batches or on account), a purchase order for 1 bill in 4, ...
SHARE: dict[str, tuple[str, float]] = {
    "creditnotes": ("invoices", 0.02), "salesorders": ("invoices", 0.10),
    "customer_payments": ("invoices", 0.30), "estimates": ("invoices", 0.04),
    "expenses": ("invoices", 0.075), "vendor_payments": ("bills", 0.30),
    "purchase_orders": ("bills", 0.25), "vendor_credits": ("bills", 0.05),
    "inventory_adjustments": ("items", 0.06), "transfer_orders": ("items", 0.03),
}  # fmt: skip
# The assets of these show no listing progress against Zoho's count (assets/catalog.py).
UNCOUNTED = ("product_warehouse_stock", "price_lists")
QUIET = logging.getLogger("bench.rate_limits.sync")  # INFO, as a step's log: progress asks
QUIET.setLevel(logging.INFO)
QUIET.propagate = False  # and no handler: only its warnings are printed


@dataclass(frozen=True)
class Step:
    name: str
    entities: tuple[Entity, ...]
    upstream: frozenset[str]


def steps() -> dict[str, Step]:
    """The steps of `full_sync`: one per Zoho module, after the steps it points at."""
    modules: dict[str, tuple[Entity, ...]] = {}
    producer: dict[str, str] = {}
    for entities in BY_MODULE.values():
        name = entities[0].name if len(entities) == 1 else entities[0].path.rsplit("/", 1)[-1]
        modules[name] = entities
        for e in entities:
            producer.update({e.name: name, **{c.table: name for c in e.children}})

    def upstream(e: Entity) -> set[str]:
        return {producer[r] for r in (*e.refers_to, *(r for c in e.children for r in c.refers_to))}

    return {
        name: Step(name, ents, frozenset(set().union(*map(upstream, ents)) - {name}))
        for name, ents in modules.items()
    }


def in_scope(sandbox: SandboxProcess) -> dict[str, int | None]:
    """Records per entity the sync is to read (documents from the history start); None for a
    listing the sandbox keeps no records of (warehouses: one unpaged call)."""
    start, cache, out = history_start(), {}, {}
    for e in ENTITIES:
        source = e.path.rsplit("/", 1)[-1]
        try:
            records = cache[source] = cache.get(source) or sandbox.records(source)
        except httpx.HTTPStatusError:
            out[e.name] = None
            continue
        out[e.name] = sum(
            e.keeps(r)
            and (e.api == INVENTORY or r.get("source") != INVENTORY)  # Books lacks those items
            and (not e.partitioned or start is None or r[e.partition_field] >= start.isoformat())
            for r in records
        )  # fmt: skip
    return out


def floor_calls(entity: Entity, n: int | None, mode: str) -> int:
    """The fewest calls Zoho's API shapes allow for `n` records of `entity`."""
    listing = max(1, ceil((n or 0) / PER_PAGE))
    detailed = bool(entity.children) or entity.name == "price_lists"  # a book's prices
    if entity.name == "product_warehouse_stock":
        detailed = mode == "warehouses"
    return listing + (n or 0 if detailed else 0)


def sync_one(settings: ZohoSettings, engine: Engine, entity: Entity, t0: float) -> dict:
    with ZohoClient(settings, engine) as client:
        timer = Timer()
        log: Any = QUIET
        if entity.name not in UNCOUNTED:
            params = list_params(engine, entity, FULL_REFRESH, None, None)
            log = listing_progress(QUIET, client, entity, params)
        sync_as_asset(client, engine, entity, FULL_REFRESH, log)
        by_api = client.stats.by_api()
    return {"api": entity.api, "by_api": by_api, "started": timer.started - t0,
            "ended": timer.started - t0 + timer.seconds}  # fmt: skip


def run_steps(settings: ZohoSettings, engine: Engine, deps: bool) -> tuple[dict[str, dict], float]:
    plan = steps()
    done = {name: threading.Event() for name in plan}
    pools = {api: threading.Semaphore(POOL_STEPS) for api in RPM}
    slots = threading.Semaphore(MAX_STEPS)
    results: dict[str, dict] = {}
    errors: dict[str, BaseException] = {}
    wall = Timer()

    def run(step: Step) -> None:
        try:
            upstream = step.upstream if deps else frozenset()
            for name in upstream:
                done[name].wait()
            if failed := [n for n in upstream if n in errors]:
                errors[step.name] = RuntimeError(f"skipped: {', '.join(failed)} failed")
                return
            # a pool's slot first, then one of the executor's, as Dagster launches steps
            with pools[step.entities[0].api], slots:
                for entity in step.entities:
                    result = sync_one(settings, engine, entity, wall.started)
                    results[entity.name] = {"step": step.name, **result}
        except BaseException as exc:
            errors[step.name] = exc
        finally:
            done[step.name].set()

    threads = [threading.Thread(target=run, args=(s,), name=s.name) for s in plan.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        first = next(e for e in errors.values() if "skipped" not in str(e))
        raise RuntimeError(f"steps failed: {sorted(errors)}") from first
    return results, wall.seconds


def run_mode(mode: str, sizes: dict[str, int], w: float, deps: bool) -> dict[str, Any]:
    sandbox = SandboxProcess(
        **sizes, books_rpm=RPM[BOOKS], inventory_rpm=RPM[INVENTORY], rate_window=w,
        daily_limit=UNLIMITED_DAY, inventory_mode=mode, startup_timeout=300.0,
    )  # fmt: skip
    with sandbox, temp_database(f"rate_{mode}") as url:
        records = in_scope(sandbox)
        settings = settings_for(
            sandbox, books_rpm=RPM[BOOKS], inventory_rpm=RPM[INVENTORY], rate_window_seconds=w,
            books_daily_limit=UNLIMITED_DAY, inventory_daily_limit=UNLIMITED_DAY,
        )  # fmt: skip
        results, wall = run_steps(settings, get_engine(url), deps)
        stats = sandbox.stats()
    return summarise(mode, w, records, results, wall, stats)


def summarise(
    mode: str, w: float, records: dict[str, int | None], results: dict[str, dict],
    wall: float, stats: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    ok = dict.fromkeys(RPM, 0)
    floor = dict.fromkeys(RPM, 0)
    counts = dict.fromkeys(RPM, 0)
    rows = []
    for e in ENTITIES:
        r, n = results[e.name], records[e.name]
        calls = sum(r["by_api"].get(api, {}).get("ok", 0) for api in RPM)
        least = floor_calls(e, n, mode)
        counted = int(e.name not in UNCOUNTED and (n or 0) >= PER_PAGE)
        ok[e.api] += calls
        floor[e.api] += least
        counts[e.api] += counted
        rows.append([e.name, r["step"], e.api, "-" if n is None else n, least, counted, calls,
                     calls - least - counted, r["started"], r["ended"]])  # fmt: skip
    table(["entity", "step", "API", "records", "floor calls", "progress counts", "calls",
           "unexplained", "started s", "ended s"], rows)  # fmt: skip
    floor_s = {api: floor[api] / (RPM[api] / w) for api in RPM}
    slower = max(floor_s, key=lambda api: floor_s[api])
    out = {
        "mode": mode, "calls": ok, "floor_calls": floor, "progress_counts": counts,
        "calls_ratio": {api: ok[api] / floor[api] for api in RPM},
        "floor_seconds": floor_s, "wall_seconds": wall, "wall_ratio": wall / floor_s[slower],
        "slower_api": slower, "sequential_floor_seconds": sum(floor_s.values()),
        "sandbox_429": count_status(stats["totals"], "429"),
        "client_429": sum(r["by_api"].get(api, {}).get("429", 0)
                          for r in results.values() for api in RPM),
        "peak_per_window": stats["peak_calls_per_minute"], "records": records,
        "entities": {row[0]: dict(zip(("step", "api", "records", "floor", "progress_count",
                                       "calls", "unexplained", "started", "ended"), row[1:],
                                      strict=True)) for row in rows},
    }  # fmt: skip
    table(
        ["API", "calls", "floor calls", "progress counts", "calls/floor", "floor s",
         "real-minute floor"],
        [[api, ok[api], floor[api], counts[api], ok[api] / floor[api], floor_s[api],
          f"{floor_s[api] / w:.1f} min"] for api in RPM],
    )  # fmt: skip
    note(
        f"{mode}: wall {wall:.1f} s against the slower API's ({slower}) floor of "
        f"{floor_s[slower]:.1f} s = {out['wall_ratio']:.3f}x (goal 1.15x; one API after the "
        f"other: {out['sequential_floor_seconds']:.1f} s); calls {out['calls_ratio'][BOOKS]:.4f}x "
        f"Books, {out['calls_ratio'][INVENTORY]:.4f}x Inventory (goal 1.02x); 429s: "
        f"{out['sandbox_429']} (sandbox), {out['client_429']} (client); in real minutes "
        f"{wall / w:.1f} min against {floor_s[slower] / w:.1f}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=float, default=3.0, help="seconds per Zoho 'minute'")
    parser.add_argument("--modes", default="locations,warehouses")
    parser.add_argument("--ignore-deps", action="store_true",
                        help="start every step at once (what the job's order costs)")  # fmt: skip
    for name, default in SIZES.items():
        of = f" (default {SHARE[name][1]:g} x {SHARE[name][0]})" if name in SHARE else ""
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default, help=of)
    args = parser.parse_args()
    given = {name: getattr(args, name) for name in SIZES}
    sizes = {name: given[name] if given[name] is not None
             else round(given[SHARE[name][0]] * SHARE[name][1]) for name in SIZES}  # fmt: skip
    setup_logging()
    title(f"2. Rate-limit efficiency: a first full sync of all {len(ENTITIES)} registry entities")
    note("organisation: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    note(
        f"Zoho's limits ({RPM[BOOKS]}/min Books, {RPM[INVENTORY]}/min Inventory) over a "
        f"'minute' compressed to {args.window:g} s ({60 / args.window:g}x real time); the "
        "daily limit is lifted"
    )
    if args.ignore_deps:
        note("every step at once, not in the job's order (--ignore-deps)")
    runs = {mode: run_mode(mode, sizes, args.window, not args.ignore_deps)
            for mode in args.modes.split(",")}  # fmt: skip
    books = next(iter(runs.values()))["calls"][BOOKS]
    note(
        f"a first sync of this organisation spends {books:,} Books calls: "
        f"{books / 10_000:.1f} days of the largest plan's 10,000-call daily limit"
    )
    save("rate_limits_free" if args.ignore_deps else "rate_limits",
         {"window_seconds": args.window, "sizes": sizes, "runs": runs})  # fmt: skip


if __name__ == "__main__":
    main()
