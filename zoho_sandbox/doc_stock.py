"""How documents move stock, per warehouse: the effect of one document record, and applying
the difference between two versions of it (create: none -> new; edit: old -> new; delete:
old -> none) to the items' `[on_hand, physical_shortfall, committed]` per warehouse.

Effects by status (the sandbox's reading of Zoho, see the README):
- invoices take on-hand stock out of the line's warehouse; bills bring it in; credit notes
  return it; a draft or void one moves nothing;
- sales orders commit stock while open/confirmed or partially invoiced (available for sale
  drops, on hand does not move); draft, invoiced, closed and void commit nothing;
- inventory adjustments by quantity add `quantity_adjusted` (negative: remove) to on hand
  when `adjusted`; by value, or draft, they move no quantity;
- transfer orders move `quantity_transfer` from the source to the destination when
  `transferred` (total unchanged); `in_transit` has left the source and not yet arrived.

Moves are exact (no clamping), so a create followed by its delete restores every number;
stock may go below zero as in an organisation that allows negative stock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .catalog import WAREHOUSES
from .gen_inventory import warehouse_index
from .gen_items import stock_of
from .store import EntityStore

STOCK_DOCS = (
    "invoices",
    "bills",
    "creditnotes",
    "salesorders",
    "inventoryadjustments",
    "transferorders",
)
PRIMARY = next(n for n, (_name, _city, primary) in enumerate(WAREHOUSES) if primary)
ON_HAND_SIGN = {"invoices": -1, "bills": 1, "creditnotes": 1}
NO_MOVE = ("draft", "void")
COMMITTING = ("open", "confirmed", "partially_invoiced")

Key = tuple[str, int]  # (item id, warehouse index)
Delta = dict[Key, list[int]]  # -> [on_hand, committed]


def units(value: Any) -> int:
    """A line's quantity as whole units (records hold floats; a quirk value counts 0)."""
    try:
        return round(float(value))
    except (TypeError, ValueError):
        return 0


def _where(seed: int, warehouse_id: Any) -> int:
    n = warehouse_index(seed, warehouse_id) if warehouse_id not in (None, "") else None
    return PRIMARY if n is None else n


def effect(seed: int, entity: str, rec: dict[str, Any] | None) -> Delta:
    """What this version of the document holds moved, per (item, warehouse)."""
    out: Delta = defaultdict(lambda: [0, 0])
    if rec is None or entity not in STOCK_DOCS:
        return out
    status, lines = rec.get("status"), rec.get("line_items") or []
    for line in lines:
        item = str(line.get("item_id", ""))
        if entity in ON_HAND_SIGN and status not in NO_MOVE:
            out[item, _where(seed, line.get("warehouse_id"))][0] += ON_HAND_SIGN[entity] * units(
                line.get("quantity")
            )
        elif entity == "salesorders" and status in COMMITTING:
            out[item, _where(seed, line.get("warehouse_id"))][1] += units(line.get("quantity"))
        elif entity == "inventoryadjustments":
            if status == "adjusted" and rec.get("adjustment_type") == "quantity":
                where = _where(seed, line.get("warehouse_id"))
                out[item, where][0] += units(line.get("quantity_adjusted"))
        elif entity == "transferorders" and status in ("in_transit", "transferred"):
            qty = units(line.get("quantity_transfer"))
            out[item, _where(seed, rec.get("from_warehouse_id"))][0] -= qty
            if status == "transferred":
                out[item, _where(seed, rec.get("to_warehouse_id"))][0] += qty
    return out


def difference(
    seed: int, entity: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> Delta:
    """The move from `before` to `after`: nonzero entries only."""
    out: Delta = effect(seed, entity, after)
    for key, (on_hand, committed) in effect(seed, entity, before).items():
        out[key][0] -= on_hand
        out[key][1] -= committed
    return {k: v for k, v in out.items() if v != [0, 0]}


def apply(seed: int, items: EntityStore, delta: Delta) -> list[str]:
    """Apply the move to live items; the ids of those whose stock changed, in order."""
    moved: list[str] = []
    for (item_id, n), (on_hand, committed) in sorted(delta.items()):
        row = items.get(item_id)
        if row is None:
            continue  # an item deleted since: nothing left to move
        stock = [list(w) for w in stock_of(seed, row)]
        stock[n][0] += on_hand
        stock[n][2] += committed
        row.stock = stock
        if item_id not in moved:
            moved.append(item_id)
    return moved
