"""Inventory-only documents: inventory adjustments and transfer orders.

Like the other documents, dates, numbers and statuses are drawn for all of them at start and
the line items rebuilt from (seed, index) on demand. Records are kept with ids as text (as
Books documents); Inventory serves them with ids as JSON numbers (`numify_ids`).
"""

from __future__ import annotations

import random
from typing import Any

from .catalog import WAREHOUSES
from .clock import (
    DAY_SECONDS,
    DOC_FIRST_DAY,
    DOC_LAST_DAY,
    GEN_END,
    day_start,
    day_str,
    fmt_ts,
    make_id,
    rng_for,
)
from .gen_items import ItemCatalog, sku_of
from .specs import ENT, LINE_ENT
from .store import Row

REASONS = (
    "Stocktaking results",
    "Damaged goods",
    "Stolen goods",
    "Returned to supplier",
    "Opening stock",
    "Inventory revaluation",
)
VALUE_REASON = len(REASONS) - 1
ADJUSTED_QUANTITIES = (-5, -3, -2, -1, -1, 1, 1, 2, 3, 5, 10, 20)
ADJUSTED_VALUES = (-50_000.0, -10_000.0, -2_500.0, 5_000.0, 25_000.0)
TRANSFER_QUANTITIES = (1, 1, 2, 3, 5, 10, 20)
DETAIL_ONLY_KEYS = ("line_items",)


def warehouse_ref(seed: int, n: int) -> tuple[str, str]:
    """(id as text, name) of the n-th warehouse."""
    return str(make_id(seed, ENT["warehouses"], n + 1)), WAREHOUSES[n][0]


def warehouse_index(seed: int, warehouse_id: Any) -> int | None:
    for n in range(len(WAREHOUSES)):
        if str(warehouse_id) == warehouse_ref(seed, n)[0]:
            return n
    return None


def unit_cost(items: ItemCatalog, j: int) -> float:
    prate = items.prates[j]
    return float(prate) if isinstance(prate, float | int) else round(items.rates[j] * 0.7)


def _times(rng: random.Random, day: int) -> tuple[int, int]:
    created = day_start(day) + 8 * 3600 + rng.randrange(10 * 3600)
    lmt = created if rng.random() < 0.7 else min(GEN_END, created + rng.randrange(20 * DAY_SECONDS))
    return created, lmt


def _days(rng: random.Random, n: int) -> list[int]:
    return sorted(rng.randint(DOC_FIRST_DAY, DOC_LAST_DAY) for _ in range(n))


def generate_adjustments(seed: int, n: int) -> list[Row]:
    rng = random.Random(f"{seed}:inventoryadjustments")
    rows = []
    for idx, day in enumerate(_days(rng, n)):
        value = rng.random() < 0.15
        status = "draft" if rng.random() < 0.1 else "adjusted"
        reason = VALUE_REASON if value else rng.randrange(VALUE_REASON)
        created, lmt = _times(rng, day)
        rid = str(make_id(seed, ENT["inventoryadjustments"], idx + 1))
        core = ("value" if value else "quantity", reason)
        rows.append(Row(rid, idx, f"ADJ-{idx + 1:05d}", created, lmt, day_str(day), status,
                        "inventory", core))  # fmt: skip
    return rows


def generate_transfers(seed: int, n: int) -> list[Row]:
    rng = random.Random(f"{seed}:transferorders")
    rows = []
    for idx, day in enumerate(_days(rng, n)):
        r = rng.random()
        status = "transferred" if r < 0.8 else ("in_transit" if r < 0.9 else "draft")
        source = rng.randrange(len(WAREHOUSES))
        target = (source + rng.randrange(1, len(WAREHOUSES))) % len(WAREHOUSES)
        created, lmt = _times(rng, day)
        rid = str(make_id(seed, ENT["transferorders"], idx + 1))
        rows.append(Row(rid, idx, f"TO-{idx + 1:05d}", created, lmt, day_str(day), status,
                        "inventory", (source, target)))  # fmt: skip
    return rows


def adjustment_line(seed: int, items: ItemCatalog, line_id: str, j: int, n: int,
                    quantity: float, value: float) -> dict[str, Any]:  # fmt: skip
    wid, wname = warehouse_ref(seed, n)
    return {
        "line_item_id": line_id, "item_id": items.ids[j], "name": items.names[j],
        "sku": sku_of(j), "quantity_adjusted": float(quantity), "value_adjusted": float(value),
        "warehouse_id": wid, "warehouse_name": wname, "unit": items.units[j],
    }  # fmt: skip


def adjustment_total(adjustment_type: str, lines: list[dict[str, Any]],
                     cost: dict[str, float]) -> float:  # fmt: skip
    """Value adjustments: the sum of the values; by quantity: quantity times unit cost."""
    if adjustment_type == "value":
        return round(sum(line["value_adjusted"] for line in lines), 2)
    return round(
        sum(line["quantity_adjusted"] * cost.get(line["item_id"], 0.0) for line in lines), 2
    )


def render_adjustment(seed: int, row: Row, items: ItemCatalog) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    kind, reason = row.core
    rng = rng_for(seed, ENT["inventoryadjustments"], row.idx)
    lines, cost = [], {}
    for k in range(rng.randint(1, 4) if items.ids else 0):
        j, n = rng.randrange(len(items.ids)), rng.randrange(len(WAREHOUSES))
        qty = rng.choice(ADJUSTED_QUANTITIES) if kind == "quantity" else 0
        value = rng.choice(ADJUSTED_VALUES) if kind == "value" else 0.0
        line_id = str(make_id(seed, LINE_ENT["inventoryadjustments"], row.idx * 10 + k + 1))
        lines.append(adjustment_line(seed, items, line_id, j, n, qty, value))
        cost[items.ids[j]] = unit_cost(items, j)
    return {
        "inventory_adjustment_id": row.id, "date": row.date, "reason": REASONS[reason],
        "reason_id": str(make_id(seed, ENT["reasons"], reason + 1)), "adjustment_type": kind,
        "status": row.status, "reference_number": row.name,
        "description": f"{REASONS[reason]} ({row.name})",
        "total": adjustment_total(kind, lines, cost), "line_items": lines,
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    }  # fmt: skip


def transfer_line(items: ItemCatalog, line_id: str, j: int, quantity: float) -> dict[str, Any]:
    return {
        "line_item_id": line_id, "item_id": items.ids[j], "name": items.names[j],
        "sku": sku_of(j), "quantity_transfer": float(quantity), "unit": items.units[j],
    }  # fmt: skip


def render_transfer(seed: int, row: Row, items: ItemCatalog) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    source, target = row.core
    rng = rng_for(seed, ENT["transferorders"], row.idx)
    lines = []
    for k in range(rng.randint(1, 4) if items.ids else 0):
        j = rng.randrange(len(items.ids))
        line_id = str(make_id(seed, LINE_ENT["transferorders"], row.idx * 10 + k + 1))
        lines.append(transfer_line(items, line_id, j, rng.choice(TRANSFER_QUANTITIES)))
    (from_id, from_name), (to_id, to_name) = (warehouse_ref(seed, source),
                                              warehouse_ref(seed, target))  # fmt: skip
    return {
        "transfer_order_id": row.id, "transfer_order_number": row.name, "date": row.date,
        "status": row.status, "from_warehouse_id": from_id, "from_warehouse_name": from_name,
        "to_warehouse_id": to_id, "to_warehouse_name": to_name, "line_items": lines,
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    }  # fmt: skip


def inventory_doc_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_KEYS}
