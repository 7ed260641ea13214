"""6. Consumer API: 100,000 products, listing / search / single product under wrk.

Fixture rows go in with `bulk_load` (COPY): products with stock, the `consumer_iqd` price
list and a price per product (a few products hidden by each rule: no stock, inactive, no
consumer price). `python -m tsh_consumer_api` serves them as deployed (one uvicorn
process). Baselines in the same run: `/health` of the same process (a trivial query: the
framework and pool floor) and the same SQL statements run directly on PostgreSQL, one
after another on one connection (the database's share of each request).

    python -m bench.consumer_api [--products 100000 --connections 32 --seconds 15]
"""

from __future__ import annotations

import argparse
import random
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.common import Timer, median, note, save, setup_logging, table, temp_database, title
from bench.loadgen import Req, drain, run_wrk, service, wrk_available
from tsh_consumer_api import queries
from tsh_consumer_api.settings import Settings
from tsh_db.dialect import bulk_load
from tsh_db.engine import get_engine
from tsh_db.schema import price_lists, product_prices, products
from tsh_db.types import utcnow

BRANDS = [
    "Haier",
    "Samsung",
    "LG",
    "Anker",
    "Philips",
    "Bosch",
    "Tefal",
    "Midea",
    "Sharp",
    "Xiaomi",
    "Braun",
    "Gree",
]
KINDS = [
    "Window AC",
    "Split AC",
    "Ceiling Fan",
    "Air Cooler",
    "Water Heater",
    "Kettle",
    "Blender",
    "USB-C Cable",
    "Power Bank",
    "LED Bulb",
    "Iron",
    "Microwave",
    "Fridge",
    "Washing Machine",
    "Vacuum Cleaner",
    "Smartphone",
]
COLORS = ["Red", "Black", "White", "Silver", "Grey", "Gold", "Blue"]
SEARCHES = [
    "fan",
    "haier",
    "cable",
    "kettle",
    "split ac",
    "power bank",
    "white",
    "tsh-01",
    "xiaomi smartphone",
    "heater",
    "zz-no-match",
    "led",
]
CONSUMER_LIST = "9100000000000000001"
BASE_ID = 4815000000000000000


def seed(engine: Engine, count: int) -> dict[str, Any]:
    rng, now = random.Random(6), utcnow()
    items, prices, visible = [], [], []
    for n in range(count):
        zid = str(BASE_ID + n)
        kind = KINDS[n % len(KINDS)]
        stock = 0 if n % 20 == 0 else rng.randint(1, 200)  # 5% out of stock
        active = n % 50 != 1  # 2% inactive
        items.append(
            {
                "zoho_id": zid,
                "source": "books",
                "synced_at": now,
                "name": f"{BRANDS[n % len(BRANDS)]} {kind} {chr(65 + n % 26)}{n % 997} "
                f"{COLORS[n % len(COLORS)]}",
                "sku": f"TSH-{n:06d}",
                "category": kind,
                "is_active": active,
                "image_url": f"https://images.tsh-iq.example/items/TSH-{n:06d}.jpg",
                "price": Decimal(rng.randint(5, 2000) * 500),
                "actual_available_stock": stock,
            }
        )
        if n % 25 != 2:  # 4% have no consumer price
            prices.append(
                {
                    "price_list_zoho_id": CONSUMER_LIST,
                    "product_zoho_id": zid,
                    "price": Decimal(rng.randint(5, 2000) * 550),
                    "currency": "IQD",
                    "synced_at": now,
                }
            )
            if stock and active:
                visible.append(zid)
    with engine.begin() as conn:
        bulk_load(
            conn,
            price_lists,
            [
                {
                    "zoho_id": CONSUMER_LIST,
                    "name": "Consumer",
                    "code": "consumer_iqd",
                    "currency_code": "IQD",
                    "source": "books",
                    "synced_at": now,
                }
            ],
        )
        bulk_load(conn, products, items)
        bulk_load(conn, product_prices, prices)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return {"products": count, "prices": len(prices), "visible": visible}


def scenarios(visible: list[str]) -> dict[str, list[Req]]:
    rng = random.Random(7)
    base = "/api/consumer/products"
    return {
        "listing (pages 1-50, 20 per page)": [
            Req("GET", f"{base}?page={rng.randint(1, 50)}&per_page=20") for _ in range(5000)
        ],
        "search (name or SKU, 12 terms)": [
            Req("GET", f"{base}?search={rng.choice(SEARCHES).replace(' ', '%20')}")
            for _ in range(5000)
        ],
        "single product": [Req("GET", f"{base}/{rng.choice(visible)}") for _ in range(5000)],
        "/health (baseline: SELECT 1)": [Req("GET", "/health")],
    }


def direct_sql_ms(engine: Engine, visible: list[str], rounds: int = 60) -> dict[str, float]:
    """The API's own statements, run on one connection: the database's part of a request."""
    settings = Settings(database_url="unused")
    rng = random.Random(8)
    makers = {
        "listing": lambda: queries.listing(settings, page=rng.randint(1, 50), per_page=20),
        "search": lambda: queries.listing(
            settings, page=1, per_page=20, search=rng.choice(SEARCHES)
        ),
        "single product": lambda: queries.detail(settings, rng.choice(visible)),
    }
    out = {}
    with engine.connect() as conn:
        for name, make in makers.items():
            times = []
            for _ in range(rounds):
                stmt = make()
                timer = Timer()
                conn.execute(stmt).all()
                times.append(timer.seconds * 1000)
            out[name] = median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    a = parser.parse_args()
    setup_logging()
    title(
        f"6. Consumer API: {a.products:,} products, wrk with {a.connections} connections, "
        f"{a.seconds:g} s per endpoint"
    )
    if not wrk_available():
        note("SKIPPED: wrk is not installed (make bench installs it with apt-get)")
        return
    with temp_database("consumer") as url:
        engine = get_engine(url)
        timer = Timer()
        fixture = seed(engine, a.products)
        note(
            f"fixture: {fixture['products']:,} products, {fixture['prices']:,} consumer prices, "
            f"{len(fixture['visible']):,} visible, loaded with COPY in {timer.seconds:.1f} s"
        )
        sql = direct_sql_ms(engine, fixture["visible"])
        rows, results = [], {}
        env = {"DATABASE_URL": url, "CONSUMER_DOCS_ENABLED": "false"}
        with service("tsh_consumer_api", ["-m", "tsh_consumer_api"], env) as base:
            for name, reqs in scenarios(fixture["visible"]).items():
                for req in reqs[:5]:  # warm-up: one request at a time, so nothing queues
                    httpx.get(base + req.path, timeout=60)
                load = run_wrk(base, reqs, connections=a.connections, seconds=a.seconds, timeout=60)
                drained = drain(base)
                key = name.split(" (")[0]
                rows.append(
                    [name, load.rps, load.p50_ms, load.p99_ms, load.errors, sql.get(key, 0.0)]
                )
                results[name] = {
                    **vars(load),
                    "rps": load.rps,
                    "direct_sql_ms": sql.get(key),
                    "drain_seconds": drained,
                }
    table(["endpoint", "req/s", "p50 ms", "p99 ms", "errors", "SQL alone ms"], rows)
    note("SQL alone: median of the same statement run directly, one at a time (baseline)")
    note(
        "requests still in flight when wrk stops are not counted; the next endpoint starts "
        "only once the API answers /health in under 0.2 s again"
    )
    save("consumer_api", {"products": a.products, "connections": a.connections, "results": results})


if __name__ == "__main__":
    main()
