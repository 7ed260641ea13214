"""6. Consumer API: 100,000 products, listing / cursor walks / search / single product / 304.

Fixture rows go in with `bulk_load` (COPY) and the consumer catalogue is built from them
once, as materializing the `consumer_catalog` asset does (`bench/consumer_fixture.py`).
`python -m tsh_consumer_api` serves them as deployed (one uvicorn process), twice: with its
in-process response cache (the default) and without it (`CONSUMER_RESPONSE_CACHE_SIZE=0`,
every request runs its SQL). Baselines in the same run: `/health` of the same process (a
trivial query: the framework and pool floor) and each endpoint's SQL statement run directly,
one at a time (the database's share). Last, the time from a `prices` webhook being applied to
the API answering the new price.

    python -m bench.consumer_api [--products 100000 --connections 32 --seconds 15]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Select
from sqlalchemy.engine import Engine

from bench.common import Timer, median, note, save, setup_logging, table, temp_database, title
from bench.consumer_fixture import (
    LISTING,
    SEARCHES,
    cursor_walk,
    etags,
    price_change_latency,
    seed,
)
from bench.loadgen import Req, drain, run_wrk, service, wrk_available
from tsh_consumer_api import queries
from tsh_consumer_api.listing import listing_request
from tsh_db.engine import get_engine

HEALTH = "/health (baseline: SELECT 1)"
PAGES = 50


def scenarios(visible: list[str], walk: list[str], tags: dict[str, str]) -> dict[str, list[Req]]:
    rng = random.Random(7)
    pages = [f"{LISTING}?page={p}&per_page=20" for p in range(1, PAGES + 1)]
    return {
        "listing (pages 1-50, 20 per page)": [Req("GET", rng.choice(pages)) for _ in range(5000)],
        "listing (cursor walks, pages 1-50)": [Req("GET", rng.choice(walk)) for _ in range(5000)],
        "search (name or SKU, 12 terms)": [
            Req("GET", f"{LISTING}?search={rng.choice(SEARCHES).replace(' ', '%20')}")
            for _ in range(5000)
        ],
        "single product": [Req("GET", f"{LISTING}/{rng.choice(visible)}") for _ in range(5000)],
        "304 revalidation (listing pages)": [
            Req("GET", p, header=f"If-None-Match: {tags[p]}")
            for p in (rng.choice(pages) for _ in range(5000))
        ],
        HEALTH: [Req("GET", "/health")],
    }


def direct_sql_ms(engine: Engine, visible: list[str], rounds: int = 60) -> dict[str, float]:
    """The API's own statements, run on one connection: the database's part of a request."""
    rng = random.Random(8)

    def listing(**params: Any) -> tuple[Select, dict[str, Any]]:
        args = {
            "page": None,
            "per_page": 20,
            "cursor": None,
            "search": None,
            "category": None,
            "min_price": None,
            "max_price": None,
            "sort": None,
        }
        wanted = listing_request(**{**args, **params})  # fmt: skip
        return queries.listing(wanted.filters, wanted.sort_name, per_page=20, offset=wanted.offset)

    makers: dict[str, Callable[[], Any]] = {
        "listing": lambda: listing(page=rng.randint(1, PAGES)),
        "search": lambda: listing(search=rng.choice(SEARCHES)),
        "single product": lambda: (queries.DETAIL, {"product_id": rng.choice(visible)}),
    }
    out = {}
    with engine.connect() as conn:
        for name, make in makers.items():
            times = []
            for _ in range(rounds):
                made = make()
                stmt, params = made if isinstance(made, tuple) else (made, None)
                timer = Timer()
                conn.execute(stmt, params).all()
                times.append(timer.seconds * 1000)
            out[name] = median(times)
    return out


def load(base: str, reqs: dict[str, list[Req]], a: argparse.Namespace) -> dict[str, Any]:
    results = {}
    for name, lines in reqs.items():
        for req in lines[:5]:  # warm-up: one request at a time, so nothing queues
            httpx.get(base + req.path, timeout=60)
        run = run_wrk(base, lines, connections=a.connections, seconds=a.seconds, timeout=60)
        results[name] = {**vars(run), "rps": run.rps, "drain_seconds": drain(base)}
    return results


def report(title_: str, results: dict[str, Any], sql: dict[str, float]) -> None:
    health = results[HEALTH]["rps"]
    rows = [[name, r["rps"], f"{r['rps'] / health:.0%}", r["p50_ms"], r["p99_ms"], r["errors"],
             sql.get(name.split(" (")[0], 0.0)] for name, r in results.items()]  # fmt: skip
    note(title_)
    table(["endpoint", "req/s", "of /health", "p50 ms", "p99 ms", "errors", "SQL alone ms"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    a = parser.parse_args()
    setup_logging()
    title(f"6. Consumer API: {a.products:,} products, wrk with {a.connections} connections, "
          f"{a.seconds:g} s per endpoint")  # fmt: skip
    if not wrk_available():
        note("SKIPPED: wrk is not installed (make bench installs it with apt-get)")
        return
    with temp_database("consumer") as url:
        engine = get_engine(url)
        timer = Timer()
        fixture = seed(engine, a.products)
        note(f"fixture: {fixture['products']:,} products, {len(fixture['prices']):,} consumer "
             f"prices, {fixture['catalogue']:,} in the catalogue (built in "
             f"{fixture['build_seconds']:.1f} s); {timer.seconds:.1f} s in all")  # fmt: skip
        sql = direct_sql_ms(engine, fixture["visible"])
        env = {"DATABASE_URL": url, "CONSUMER_DOCS_ENABLED": "false"}
        out: dict[str, Any] = {"products": a.products, "connections": a.connections,
                               "catalogue_build_seconds": fixture["build_seconds"]}  # fmt: skip
        for label, extra in (("cached", {}), ("uncached", {"CONSUMER_RESPONSE_CACHE_SIZE": "0"})):
            with service(f"tsh_consumer_api_{label}", ["-m", "tsh_consumer_api"],
                         {**env, **extra}) as base:  # fmt: skip
                walk = cursor_walk(base, PAGES)
                tags = etags(base, [f"{LISTING}?page={p}&per_page=20" for p in range(1, 51)])
                out[label] = load(base, scenarios(fixture["visible"], walk, tags), a)
                report(f"{label}: response cache {'on (default)' if not extra else 'off'}",
                       out[label], sql)  # fmt: skip
                if label == "cached":
                    out["price_change"] = price_change_latency(
                        base, engine, fixture["prices"], fixture["visible"]
                    )
    pc = out["price_change"]
    note(
        f"prices webhook, whole Consumer book ({len(fixture['prices']):,} rates), one changed: "
        f"applied in {pc['apply_median_s']:.2f} s (median), new price answered "
        f"{pc['visible_median_s']:.2f} s after (median; max {pc['visible_max_s']:.2f} s)"
    )
    note("SQL alone: median of the same statement run directly, one at a time (baseline)")
    save("consumer_api", {**out, "direct_sql_ms": sql})


if __name__ == "__main__":
    main()
