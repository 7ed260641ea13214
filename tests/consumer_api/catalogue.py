"""A small catalogue with one product for every rule that can hide it, and a client for apps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from tsh_db.schema import price_lists, product_prices, products
from tsh_pipelines.sync.catalog import Rules, rebuild_catalog

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CONSUMER, WHOLESALE, OLD_CONSUMER = "9100000000000000001", "9100000000000000002", "9100000000000001"


def pid(n: int) -> str:
    return str(4815000000000000000 + n)  # above 2^53: must travel as text


# key: (n, name, sku, category, stock, consumer price in IQD)
VISIBLE = {
    "fan": (1, "Ceiling Fan 56in", "TSH-FAN-56", "Fans", 50, "15000"),
    "cooler": (2, "Desert Air Cooler", "TSH-COOL-01", "Coolers", 3, "1250000"),
    "heater": (3, "Edge Stock Heater", "TSH-HEAT-10", "Heaters", 10, "99999.5"),
    "towel": (4, "100% Cotton Towel", "TSH-TWL_100", "Home", 20, "7500"),
    "lamp": (5, "O'Brien Desk Lamp", "TSH-LAMP", "Home", 9, "22000"),
    "cable": (6, "Cable_2m USB", "TSH-CBL-2M", "Electrical", 100, "3000"),
    "adapter": (7, "Back\\Slash Adapter", "TSH-BS-1", "Electrical", 1, "4000"),
    # The price row leaves its currency empty: the consumer list's IQD applies.
    "kettle": (8, "Kettle Steel", "TSH-KTL", "Home", 12, "18000"),
    # Accents and Arabic with tashkeel: found without them (tsh_db.search).
    "mug": (9, "Café Crème Mug", "TSH-MUG-1", "Kitchen", 15, "5000"),
    "arabic_fan": (10, "مِرْوَحَة سقف أبيض", "TSH-AR-1", "مراوح", 7, "45000"),
    # For ranking: "cable" starts one name, starts a word of another, sits inside a third.
    "reel": (11, "USB Cable Reel", "TSH-REEL", "Electrical", 30, "9000"),
    "hub": (12, "Supercable Hub", "TSH-HUB", "Electrical", 30, "12000"),
}
NO_CREATED_TIME = 8  # the kettle: Zoho gave no created time, so it is the oldest
# key: (n, stock, product overrides, price rows as (list, price, currency, overrides)).
# Each breaks exactly one rule (all have a base price); none may ever reach a consumer.
HIDDEN: dict[str, tuple[int, Any, dict, list[tuple]]] = {
    "base_price_only": (20, 40, {}, []),
    "usd_only": (21, 40, {}, [(WHOLESALE, "12.50", "USD", {})]),
    "zero_price": (22, 40, {}, [(CONSUMER, "0", "IQD", {})]),
    "negative_price": (23, 40, {}, [(CONSUMER, "-5000", "IQD", {})]),
    "no_stock": (24, 0, {}, [(CONSUMER, "5000", "IQD", {})]),
    "fractional_stock": (25, "0.5", {}, [(CONSUMER, "5000", "IQD", {})]),
    "null_stock": (26, None, {}, [(CONSUMER, "5000", "IQD", {})]),
    "inactive": (27, 40, {"is_active": False}, [(CONSUMER, "5000", "IQD", {})]),
    "deleted": (28, 40, {"deleted_at": NOW}, [(CONSUMER, "5000", "IQD", {})]),
    "price_deleted": (29, 40, {}, [(CONSUMER, "5000", "IQD", {"deleted_at": NOW})]),
    "price_in_usd": (30, 40, {}, [(CONSUMER, "5000", "USD", {})]),
    "deleted_list": (31, 40, {}, [(OLD_CONSUMER, "5000", "IQD", {})]),
}
VISIBLE_SORTED = sorted(VISIBLE, key=lambda k: VISIBLE[k][1])


def product_row(n: int, name: str, sku: str, category: str, stock: Any, **extra: Any) -> dict:
    return {
        "zoho_id": pid(n),
        "name": name,
        "sku": sku,
        "category": category,
        "image_url": f"https://cdn.example.com/{n}.jpg",
        "is_active": True,
        # Every product has a generous base price: it must never leak through.
        "price": Decimal("123456"),
        "actual_available_stock": None if stock is None else Decimal(str(stock)),
        "synced_at": NOW,
        "deleted_at": None,
        # Newest first is n ascending.
        "zoho_created_time": None if n == NO_CREATED_TIME else NOW - timedelta(days=n),
        **extra,
    }


def price_row(list_id: str, n: int, price: str, currency: str | None, **extra: Any) -> dict:
    return {
        "price_list_zoho_id": list_id,
        "product_zoho_id": pid(n),
        "price": Decimal(price),
        "currency": currency,
        "synced_at": NOW,
        "deleted_at": None,
        **extra,
    }


def seed(engine: Engine) -> None:
    lists = [
        (CONSUMER, "Consumer", "consumer_iqd", "IQD", None),
        (WHOLESALE, "Wholesale", "wholesale_usd", "USD", None),
        (OLD_CONSUMER, "Old consumer", "old_consumer_iqd", "IQD", NOW),
    ]
    items = [product_row(n, nm, sku, cat, st) for n, nm, sku, cat, st, _ in VISIBLE.values()]
    prices = [
        price_row(CONSUMER, n, p, None if key == "kettle" else "IQD")
        for key, (n, *_, p) in VISIBLE.items()
    ]
    prices.append(price_row(WHOLESALE, 1, "10", "USD"))
    for key, (n, stock, overrides, rows) in HIDDEN.items():
        title = "Hidden " + key.replace("_", " ")
        items.append(product_row(n, title, f"H-{n}", "Fans", stock, **overrides))
        prices += [price_row(pl, n, pr, cur, **ex) for pl, pr, cur, ex in rows]
    with engine.begin() as conn:
        conn.execute(
            price_lists.insert(),
            [
                {"zoho_id": z, "name": nm, "code": code, "currency_code": cur, "synced_at": NOW,
                 "deleted_at": deleted}
                for z, nm, code, cur, deleted in lists
            ],
        )  # fmt: skip
        conn.execute(products.insert(), items)
        conn.execute(product_prices.insert(), prices)
    build(engine)


def build(engine: Engine, **rules: Any) -> None:
    """(Re)build the catalogue the API serves, as the consumer_catalog asset does."""
    with engine.begin() as conn:
        rebuild_catalog(conn, Rules(**rules))


class AppClient:
    """A synchronous client for an in-process app over httpx's ASGI transport."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)
