"""Stock movements on one item: a random move, or stock set by hand (`fields.stock_on_hand`).

Stock is kept per warehouse as `[on_hand, physical_shortfall, committed]` (gen_items). A move
below what is short or committed lowers those too, so the numbers stay consistent.
"""

from __future__ import annotations

import random
from typing import Any

from .catalog import WAREHOUSES
from .clock import make_id
from .specs import ENT

Stock = list[list[int]]


class StockError(ValueError):
    pass


def _clamp(w: list[int]) -> None:
    w[1] = min(w[1], w[0])
    w[2] = min(w[2], w[0] - w[1])


def random_move(rng: random.Random, stock: Stock) -> Stock:
    """Each warehouse gains or loses a few units, as an invoice, a bill or an adjustment would."""
    out = [list(w) for w in stock]
    for w in out:
        w[0] = max(0, w[0] + rng.randint(-10, 25))
        _clamp(w)
    return out


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise StockError(f"{what} must be a non-negative integer")
    return value


def set_on_hand(seed: int, stock: Stock, wanted: Any) -> Stock:
    """`wanted` is the item's new total (the primary warehouse takes the difference; an error
    when the others already hold more) or `{"<warehouse_id>": on_hand}` per warehouse."""
    out = [list(w) for w in stock]
    if isinstance(wanted, dict):
        ids = {str(make_id(seed, ENT["warehouses"], n + 1)): n for n in range(len(WAREHOUSES))}
        unknown = [str(k) for k in wanted if str(k) not in ids]
        if unknown:
            raise StockError(f"no warehouse with id {', '.join(unknown)}")
        for wid, value in wanted.items():
            out[ids[str(wid)]][0] = _count(value, "a warehouse's stock_on_hand")
    else:
        total = _count(wanted, "stock_on_hand")
        primary = next(n for n, (_name, _city, is_primary) in enumerate(WAREHOUSES) if is_primary)
        others = sum(w[0] for n, w in enumerate(out) if n != primary)
        if total < others:
            raise StockError(
                f"stock_on_hand {total} is below the {others} units the other warehouses hold: "
                "give {warehouse_id: on_hand} instead"
            )
        out[primary][0] = total - others
    for w in out:
        _clamp(w)
    return out
