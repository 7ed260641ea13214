"""Price books: `Consumer` (IQD) and `Wholesale` (USD), both per-item.

A price book's rates live in `row.core["rates"]` ({item_id: [pricebook_item_id, rate]}), so
rate changes never copy the whole book; `row.rec` only ever holds the book's own fields.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .clock import EPOCH0, GEN_END, fmt_ts, make_id
from .gen_contacts import USD_PER_IQD, currency_id
from .gen_items import ItemCatalog
from .specs import ENT
from .store import Row

ItemLookup = Callable[[str], "tuple[str, str] | None"]  # item_id -> (name, sku) if live

BOOKS = (
    ("Consumer", "IQD", "Retail prices for shops and end customers", 0),
    ("Wholesale", "USD", "Dealer prices in US dollars", 2),
)


def pricebook_item_id(seed: int, book_idx: int, item_idx: int) -> int:
    return make_id(seed, ENT["pricebook_items"], book_idx * 10**10 + item_idx + 1)


def _rates(seed: int, book_idx: int, items: ItemCatalog) -> dict[str, list]:
    rng = random.Random(f"{seed}:pricebook:{book_idx}")
    rates: dict[str, list] = {}
    n_active = 0
    for j in range(items.books_count):
        if not items.active[j]:
            continue
        n_active += 1
        if book_idx == 0:
            # most but not all active items are priced; the modulo terms guarantee a gap and
            # a zero rate (seen in the real consumer book) even in tiny data sets
            if rng.random() >= 0.92 or n_active % 23 == 5:
                continue
            rate = float(round(items.rates[j] * rng.uniform(1.0, 1.15) / 250) * 250)
            if rng.random() < 0.015 or len(rates) % 31 == 7:
                rate = 0.0
        else:
            if rng.random() >= 0.4:
                continue
            rate = round(items.rates[j] / USD_PER_IQD * rng.uniform(0.85, 0.95), 2)
        rates[items.ids[j]] = [pricebook_item_id(seed, book_idx, j), rate]
    return rates


def generated_book(
    seed: int, name: str, items: ItemCatalog
) -> tuple[tuple[str, str, str, int], dict[str, float]] | None:
    """A generated book's (name, currency, description, decimals) and its rates as generated,
    so a re-created `Consumer` prices the same items as the seed's one."""
    for idx, book in enumerate(BOOKS):
        if book[0] == name:
            return book, {iid: rate for iid, (_pbi, rate) in _rates(seed, idx, items).items()}
    return None


def generate_pricebooks(seed: int, items: ItemCatalog) -> list[Row]:
    rng = random.Random(f"{seed}:pricebooks")
    rows = []
    for idx, (name, currency, description, decimals) in enumerate(BOOKS):
        created = EPOCH0 + rng.randrange(30 * 86_400)
        lmt = rng.randint(created, GEN_END)
        core = {
            "currency": currency,
            "description": description,
            "decimals": decimals,
            "rates": _rates(seed, idx, items),
        }
        rows.append(
            Row(
                str(make_id(seed, ENT["pricebooks"], idx + 1)),
                idx,
                name,
                created,
                lmt,
                "",
                "active",
                "books",
                core,
            )
        )
    return rows


def pricebook_fields(seed: int, row: Row) -> dict[str, Any]:
    if row.rec is not None:
        return dict(row.rec)
    core = row.core
    return {
        "pricebook_id": row.id,
        "name": row.name,
        "description": core["description"],
        "currency_id": currency_id(seed, core["currency"]),
        "currency_code": core["currency"],
        "pricebook_type": "per_item",
        "sales_or_purchase_type": "sales",
        "is_increase": False,
        "percentage": 0,
        "rounding_type": "no_rounding",
        "decimal_place": core["decimals"],
        "status": row.status,
        "created_time": fmt_ts(row.created),
        "last_modified_time": fmt_ts(row.lmt),
    }


def render_pricebook(seed: int, row: Row, lookup: ItemLookup) -> dict[str, Any]:
    """Books detail: ids of price book items go out as JSON numbers, as Zoho sends them."""
    rec = pricebook_fields(seed, row)
    out = []
    for item_id, (pbi_id, rate) in row.core["rates"].items():
        found = lookup(item_id)
        if found is None:  # deleted items drop out of the book
            continue
        out.append(
            {
                "pricebook_item_id": pbi_id,
                "item_id": int(item_id),
                "name": found[0],
                "sku": found[1],
                "pricebook_rate": rate,
            }
        )
    rec["pricebook_items"] = out
    return rec
