"""The consumer API benchmark's fixture and probes: 100,000 products, the catalogue built
from them, the URLs a mobile app sends, and the time a webhook price change takes to show."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.common import Timer, median
from tsh_db.dialect import bulk_load
from tsh_db.schema import price_lists, product_prices, products
from tsh_db.types import utcnow
from tsh_pipelines.sync.catalog import rebuild_catalog
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.zoho.timefmt import format_zoho_time

BAGHDAD = ZoneInfo("Asia/Baghdad")

BRANDS = ["Haier", "Samsung", "LG", "Anker", "Philips", "Bosch", "Tefal", "Midea", "Sharp",
          "Xiaomi", "Braun", "Gree"]  # fmt: skip
KINDS = ["Window AC", "Split AC", "Ceiling Fan", "Air Cooler", "Water Heater", "Kettle",
         "Blender", "USB-C Cable", "Power Bank", "LED Bulb", "Iron", "Microwave", "Fridge",
         "Washing Machine", "Vacuum Cleaner", "Smartphone"]  # fmt: skip
COLORS = ["Red", "Black", "White", "Silver", "Grey", "Gold", "Blue"]
SEARCHES = ["fan", "haier", "cable", "kettle", "split ac", "power bank", "white", "tsh-01",
            "xiaomi smartphone", "heater", "zz-no-match", "led"]  # fmt: skip
CONSUMER_LIST = "9100000000000000001"
BASE_ID = 4815000000000000000
LISTING = "/api/consumer/products"


def seed(engine: Engine, count: int) -> dict[str, Any]:
    """Products (5 % out of stock, 2 % inactive, 4 % without a consumer price), loaded with
    COPY, then the catalogue built once, as materializing the asset does."""
    rng, now = random.Random(6), utcnow()
    items, prices, visible = [], [], []
    for n in range(count):
        zid = str(BASE_ID + n)
        kind = KINDS[n % len(KINDS)]
        stock = 0 if n % 20 == 0 else rng.randint(1, 200)
        active = n % 50 != 1
        items.append({
            "zoho_id": zid, "source": "books", "synced_at": now, "sku": f"TSH-{n:06d}",
            "name": f"{BRANDS[n % len(BRANDS)]} {kind} {chr(65 + n % 26)}{n % 997} "
                    f"{COLORS[n % len(COLORS)]}",
            "category": kind, "is_active": active, "price": Decimal(rng.randint(5, 2000) * 500),
            "image_url": f"https://images.tsh-iq.example/items/TSH-{n:06d}.jpg",
            "actual_available_stock": stock, "zoho_created_time": now - timedelta(minutes=n),
        })  # fmt: skip
        if n % 25 != 2:
            prices.append({"price_list_zoho_id": CONSUMER_LIST, "product_zoho_id": zid,
                           "price": Decimal(rng.randint(5, 2000) * 550), "currency": "IQD",
                           "synced_at": now})  # fmt: skip
            if stock and active:
                visible.append(zid)
    book = {"zoho_id": CONSUMER_LIST, "name": "Consumer", "code": "consumer_iqd",
            "currency_code": "IQD", "source": "books", "synced_at": now}  # fmt: skip
    with engine.begin() as conn:
        bulk_load(conn, price_lists, [book])
        bulk_load(conn, products, items)
        bulk_load(conn, product_prices, prices)
    timer = Timer()
    with engine.begin() as conn:
        built = rebuild_catalog(conn)
    build_s = timer.seconds
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return {"products": count, "prices": prices, "visible": visible, "catalogue": built.total,
            "build_seconds": build_s}  # fmt: skip


def cursor_walk(base: str, pages: int) -> list[str]:
    """The URLs of pages 1..`pages` as an app walking by cursor asks for them."""
    urls, url = [], f"{LISTING}?per_page=20"
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(pages):
            urls.append(url)
            cursor = client.get(url).json()["next_cursor"]
            url = f"{LISTING}?per_page=20&cursor={cursor}"
    return urls


def etags(base: str, paths: list[str]) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=60) as client:
        return {p: client.get(p).headers["etag"] for p in paths}


def price_change_latency(
    base: str, engine: Engine, prices: list[dict], visible: list[str], rounds: int = 5
) -> dict[str, float]:
    """A `prices` webhook for the whole Consumer book (as Zoho sends it) with one rate changed,
    applied through the event path, while an app polls the product every 10 ms (so the API
    keeps reading the catalogue version as it would under traffic): the time from the commit
    to the first answer with the new price."""
    rng = random.Random(9)
    applied, shown = [], []
    for r in range(rounds):
        product = rng.choice(visible)
        rate = 1_000_000 + r
        items = [{"item_id": p["product_zoho_id"], "pricebook_item_id": str(i),
                  "pricebook_rate": rate if p["product_zoho_id"] == product else int(p["price"])}
                 for i, p in enumerate(prices)]  # fmt: skip
        record = {
            "pricebook_id": CONSUMER_LIST,
            "name": "Consumer",
            "currency_code": "IQD",
            "status": "active",
            "pricebook_items": items,
            "last_modified_time": format_zoho_time(utcnow() + timedelta(seconds=r + 1), BAGHDAD),
        }
        seen: list[float] = []
        poller = threading.Thread(target=_poll, args=(f"{base}{LISTING}/{product}", rate, seen))
        poller.start()
        timer = Timer()
        apply_event(None, engine, "price_lists", CONSUMER_LIST, "edited",  # type: ignore[arg-type]
                    {"pricebook": record})  # fmt: skip
        committed = time.perf_counter()
        applied.append(timer.seconds)
        poller.join()
        shown.append(max(0.0, seen[0] - committed))
    return {"apply_median_s": median(applied), "visible_median_s": median(shown),
            "visible_max_s": max(shown), "rounds": rounds}  # fmt: skip


def _poll(url: str, price: int, seen: list[float]) -> None:
    with httpx.Client(timeout=60) as client:
        while client.get(url).json()["price"] != price:
            time.sleep(0.01)
    seen.append(time.perf_counter())
