"""Items: Books item records, Inventory stock per warehouse (or per location), and the
warehouse list.

Listing needs only name/status/times, so those are drawn for every item at start from one
sequential RNG; descriptive fields and stock are rebuilt on demand from a per-item RNG.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .catalog import CATEGORIES, COLOURS, SERIES, WAREHOUSES
from .clock import EPOCH0, GEN_END, fmt_ts, make_id, rng_for
from .images import identity_of
from .specs import ENT
from .store import Row

ITEM_CREATED_SPAN = 540 * 86_400  # items were created during 2024 and early 2025
IMAGE_HOST = "https://images.tsh-iq.example/items"
DETAIL_ONLY_ITEM_KEYS = ("custom_fields",)


@dataclass
class ItemCatalog:
    """Items as generated; documents and price books refer to these original values."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    prates: list[float | str] = field(default_factory=list)
    active: list[bool] = field(default_factory=list)
    books_count: int = 0


def sku_of(idx: int) -> str:
    return f"TSH-{idx + 1:05d}"


def _round_to(value: float, step: int) -> float:
    return float(max(step, round(value / step) * step))


def item_core(rng: random.Random, idx: int, seen: set[str] | None) -> tuple[str, tuple]:
    cat_idx = rng.randrange(len(CATEGORIES))
    _cat, kinds, brands, lo, hi, units = CATEGORIES[cat_idx]
    kind, brand = rng.choice(kinds), rng.choice(brands)
    colour = rng.choice(COLOURS)
    name = f"{brand} {kind} {rng.choice(SERIES)}{rng.randint(100, 999)}"
    name = f"{name} {colour}".strip()
    if seen is None or name in seen:
        name = f"{name} ({sku_of(idx)})"
    if seen is not None:
        seen.add(name)
    rate = _round_to(lo * (hi / lo) ** rng.random(), 250 if lo >= 10_000 else 50)
    prate: float | str = _round_to(rate * rng.uniform(0.6, 0.85), 50)
    if rng.random() < 0.03 or idx % 29 == 11:  # the modulo keeps a few even in tiny data
        prate = ""  # quirk seen in real data: empty string where a number is expected
    return name, (cat_idx, kind, brand, rng.choice(units), rate, prate)


def generate_items(seed: int, n_books: int, n_inventory: int) -> tuple[list[Row], ItemCatalog]:
    rng = random.Random(f"{seed}:items")
    seen: set[str] = set()
    rows: list[Row] = []
    cat = ItemCatalog(books_count=n_books)
    for idx in range(n_books + n_inventory):
        name, core = item_core(rng, idx, seen)
        status = "inactive" if rng.random() < 0.05 else "active"
        created = EPOCH0 + rng.randrange(ITEM_CREATED_SPAN)
        lmt = created if rng.random() < 0.3 else rng.randint(created, GEN_END)
        iid = str(make_id(seed, ENT["items"], idx + 1))
        source = "books" if idx < n_books else "inventory"
        rows.append(Row(iid, idx, name, created, lmt, "", status, source, core))
        cat.ids.append(iid)
        cat.names.append(name)
        cat.units.append(core[3])
        cat.rates.append(core[4])
        cat.prates.append(core[5])
        cat.active.append(status == "active")
    return rows, cat


def render_item(seed: int, row: Row) -> dict[str, Any]:
    """Books detail shape (ids as strings)."""
    if row.rec is not None:
        return row.rec
    cat_idx, kind, brand, unit, rate, prate = row.core
    rng = rng_for(seed, ENT["items"], row.idx)
    sku = sku_of(row.idx)
    url = f"{IMAGE_HOST}/{sku}.jpg" if rng.random() < 0.9 else ""
    cf_id = str(make_id(seed, ENT["custom_fields"], 1))
    return {
        "item_id": row.id,
        "name": row.name,
        "sku": sku,
        "status": row.status,
        "unit": unit,
        "description": f"{kind} by {brand}",
        "rate": rate,
        "purchase_rate": prate,
        "product_type": "goods",
        "item_type": "inventory",
        "is_taxable": True,
        "tax_id": "",
        "tax_name": "",
        "tax_percentage": 0,
        "category_id": str(make_id(seed, ENT["categories"], cat_idx + 1)),
        "category_name": CATEGORIES[cat_idx][0],
        "brand": brand,
        "manufacturer": brand,
        "account_id": str(make_id(seed, ENT["accounts"], 1)),
        "account_name": "Sales",
        "purchase_account_id": str(make_id(seed, ENT["accounts"], 2)),
        "purchase_account_name": "Cost of Goods Sold",
        "reorder_level": "" if rng.random() < 0.3 else float(rng.choice((2, 5, 10, 20))),
        "upc": "",
        "ean": f"62{rng.randrange(10**10, 10**11)}",
        **identity_of(seed, row.idx, bool(url)),  # served by images.py
        "custom_fields": [
            {
                "customfield_id": cf_id,
                "index": 1,
                "label": "Image URL",
                "api_name": "cf_image_url",
                "data_type": "url",
                "value": url,
                "show_on_pdf": False,
            }
        ],
        "custom_field_hash": {"cf_image_url": url, "cf_image_url_unformatted": url},
        "created_time": fmt_ts(row.created),
        "last_modified_time": fmt_ts(row.lmt),
    }


def item_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_ITEM_KEYS}


# -- Inventory: stock per warehouse as [on_hand, physical_shortfall, committed] -------------
def gen_stock(seed: int, idx: int) -> list[list[int]]:
    rng = rng_for(seed, ENT["stock"], idx)
    out = []
    for cap in (120, 60, 40):
        on_hand = 0 if rng.random() < 0.1 else rng.randint(0, cap)
        short = 1 if on_hand and rng.random() < 0.1 else 0
        committed = rng.randint(0, min(on_hand - short, 10))
        out.append([on_hand, short, committed])
    return out


def stock_of(seed: int, row: Row) -> list[list[int]]:
    return row.stock if row.stock is not None else gen_stock(seed, row.idx)


def _stock_numbers(on_hand: int, short: int, committed: int) -> dict[str, int]:
    actual = on_hand - short
    return {
        "stock_on_hand": on_hand,
        "available_stock": on_hand,
        "actual_available_stock": actual,
        "committed_stock": committed,
        "actual_committed_stock": committed,
        "available_for_sale_stock": on_hand - committed,
        "actual_available_for_sale_stock": actual - committed,
    }


def stock_totals(stock: list[list[int]]) -> dict[str, int]:
    return _stock_numbers(*(sum(w[i] for w in stock) for i in range(3)))


def warehouse_stock(seed: int, stock: list[list[int]]) -> list[dict[str, Any]]:
    out = []
    for n, ((wname, _city, primary), numbers) in enumerate(zip(WAREHOUSES, stock, strict=True)):
        per = {f"warehouse_{k}": v for k, v in _stock_numbers(*numbers).items()}
        out.append(
            {
                "warehouse_id": make_id(seed, ENT["warehouses"], n + 1),
                "warehouse_name": wname,
                "status": "active",
                "is_primary": primary,
                **per,
            }
        )
    return out


def location_stock(warehouses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rows as an organisation moved to Zoho Locations names them: every
    `warehouse_*` key becomes `location_*`, ids, names and numbers unchanged."""
    out = []
    for w in warehouses:
        loc = {
            "location_id": w["warehouse_id"],
            "location_name": w["warehouse_name"],
            "is_primary": w["is_primary"],
            "status": w["status"],
        }
        loc.update(
            {
                "location_" + k.removeprefix("warehouse_"): v
                for k, v in w.items()
                if k.startswith("warehouse_") and k not in ("warehouse_id", "warehouse_name")
            }
        )
        out.append(loc)
    return out


def numify_ids(value: Any) -> Any:
    """Inventory sends ids as JSON numbers: turn digit-string `*_id` values into ints."""
    if isinstance(value, dict):
        return {
            k: (
                int(v)
                if k.endswith("_id") and isinstance(v, str) and v.isdigit()
                else numify_ids(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [numify_ids(v) for v in value]
    return value


def inventory_item(seed: int, row: Row, detail: bool, locations: bool = False) -> dict[str, Any]:
    """Inventory's item: stock totals, and the per-warehouse rows on the detail only; an
    organisation on Locations has `locations[]` instead, on the listing too (Zoho's OpenAPI
    puts it there)."""
    books = render_item(seed, row)
    rec = dict(books) if detail else item_summary(books)
    stock = stock_of(seed, row)
    rec.update(stock_totals(stock))
    if locations:
        rec["locations"] = location_stock(warehouse_stock(seed, stock))
    elif detail:
        rec["warehouses"] = warehouse_stock(seed, stock)
    return numify_ids(rec)


def warehouse_list(seed: int) -> list[dict[str, Any]]:
    return [
        {
            "warehouse_id": make_id(seed, ENT["warehouses"], n + 1),
            "warehouse_name": name,
            "attention": "",
            "address": "",
            "city": city,
            "state": city,
            "country": "Iraq",
            "zip": "",
            "phone": "",
            "email": f"{city.lower()}@tsh-iq.example",
            "is_primary": primary,
            "status": "active",
        }
        for n, (name, city, primary) in enumerate(WAREHOUSES)
    ]
