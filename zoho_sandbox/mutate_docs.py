"""Document edits that move stock, for the control API's mutations (a mixin of `Mutator`).

`fields` of invoices, bills, credit notes and sales orders may carry `line_items`
`[{item_id, quantity, warehouse_id?}]` and `status`; inventory adjustments `line_items`
`[{item_id, quantity_adjusted | quantity, value_adjusted?, warehouse_id?}]`,
`adjustment_type`, `status`, `date`; transfer orders `line_items`
`[{item_id, quantity_transfer | quantity}]`, `from_warehouse_id`, `to_warehouse_id`,
`status`, `date`. They are checked before anything changes (400, or 404 for an item that is
not live) and the lines rebuilt whole: names, units, rates, totals, warehouse names.
"""

from __future__ import annotations

import random
from typing import Any

from . import doc_stock
from .catalog import WAREHOUSES
from .clock import day_of, day_str, make_id, parse_date
from .gen_contacts import USD_PER_IQD
from .gen_docs import PURCHASE_SIDE
from .gen_inventory import warehouse_index, warehouse_ref
from .mutate_prices import MutationError
from .specs import LINE_ENT, SPECS
from .store import Row
from .world import World

# documents whose `fields.line_items` are rebuilt whole (the stock documents move stock too)
LINE_DOCS = (*doc_stock.STOCK_DOCS, "purchaseorders", "estimates", "vendorcredits")
QTY_KEYS = {
    "inventoryadjustments": ("quantity_adjusted", "quantity"),
    "transferorders": ("quantity_transfer", "quantity"),
}
Line = dict[str, Any]  # item_id, qty, value, warehouse (index or None)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise MutationError(400, f"{what} must be a whole number")
    return int(value)


class DocEdits:
    world: World
    line_serial: int

    def _warehouse(self, value: Any) -> int:
        n = warehouse_index(self.world.seed, value)
        if n is None:
            raise MutationError(400, f"no warehouse with id {value}")
        return n

    def _prepare(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Check a stock document's fields; the same fields with `line_items` parsed."""
        if entity not in LINE_DOCS:
            return fields
        out = dict(fields)
        if "status" in fields and fields["status"] not in SPECS[entity].statuses:
            raise MutationError(400, f"status must be one of {', '.join(SPECS[entity].statuses)}")
        if "date" in fields and (
            not isinstance(fields["date"], str) or parse_date(fields["date"]) is None
        ):
            raise MutationError(400, "date must be YYYY-MM-DD")
        if entity == "inventoryadjustments" and fields.get("adjustment_type", "quantity") not in (
            "quantity",
            "value",
        ):
            raise MutationError(400, "adjustment_type must be quantity or value")
        if entity == "transferorders":
            for key in ("from_warehouse_id", "to_warehouse_id"):
                if key in fields:
                    self._warehouse(fields[key])
            if "from_warehouse_id" in fields and str(fields["from_warehouse_id"]) == str(
                fields.get("to_warehouse_id")
            ):
                raise MutationError(400, "from_warehouse_id and to_warehouse_id must differ")
        if "line_items" in fields:
            out["line_items"] = self._parse_lines(entity, fields["line_items"])
        return out

    def _parse_lines(self, entity: str, lines: Any) -> list[Line]:
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise MutationError(400, "line_items must be a list of objects")
        parsed, missing = [], []
        for line in lines:
            item_id = str(line.get("item_id", ""))
            if self.world.stores["items"].get(item_id) is None:
                missing.append(item_id)
            key = next((k for k in QTY_KEYS.get(entity, ("quantity",)) if k in line), None)
            qty = _whole(line.get(key, 0 if entity == "inventoryadjustments" else None), key or
                         QTY_KEYS.get(entity, ("quantity",))[0])  # fmt: skip
            if entity != "inventoryadjustments" and qty <= 0:
                raise MutationError(400, "a line's quantity must be positive")
            value = line.get("value_adjusted", 0.0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise MutationError(400, "value_adjusted must be a number")
            where = line.get("warehouse_id")
            n = None if where in (None, "") else self._warehouse(where)
            parsed.append({"item_id": item_id, "qty": qty, "value": float(value), "warehouse": n})
        if missing:
            raise MutationError(404, f"no live item with id {', '.join(missing)}")
        return parsed

    def _apply_fields(self, entity: str, rec: dict[str, Any], fields: dict[str, Any]) -> None:
        """`fields` (as `_prepare` returned them) onto the record, lines rebuilt whole."""
        fields = dict(fields)
        lines = fields.pop("line_items", None)
        for key in ("from_warehouse_id", "to_warehouse_id"):
            if entity == "transferorders" and key in fields:
                wid, name = warehouse_ref(self.world.seed, self._warehouse(fields.pop(key)))
                rec[key], rec[key.replace("_id", "_name")] = wid, name
        if entity == "transferorders" and rec["from_warehouse_id"] == rec["to_warehouse_id"]:
            raise MutationError(400, "from_warehouse_id and to_warehouse_id must differ")
        rec.update(fields)
        if lines is not None:
            rec["line_items"] = [self._line(entity, rec, k, x) for k, x in enumerate(lines)]
        if lines is not None or "adjustment_type" in fields:  # a `total` given alone is kept
            self._retotal(entity, rec)

    def _item(self, item_id: str) -> dict[str, Any]:
        row = self.world.stores["items"].get(item_id)
        assert row is not None  # checked by _prepare
        return self.world.detail("items", row)

    def _line(self, entity: str, rec: dict[str, Any], k: int, line: Line) -> dict[str, Any]:
        item = self._item(line["item_id"])
        self.line_serial += 1
        line_id = str(
            make_id(self.world.seed, LINE_ENT[entity], 900_000_000_000 + self.line_serial)
        )
        base = {"line_item_id": line_id, "item_id": line["item_id"], "name": item["name"],
                "sku": item["sku"]}  # fmt: skip
        where = doc_stock.PRIMARY if line["warehouse"] is None else line["warehouse"]
        wid, wname = warehouse_ref(self.world.seed, where)
        if entity == "transferorders":
            return {**base, "quantity_transfer": float(line["qty"]), "unit": item["unit"]}
        if entity == "inventoryadjustments":
            return {**base, "quantity_adjusted": float(line["qty"]),
                    "value_adjusted": line["value"], "warehouse_id": wid,
                    "warehouse_name": wname, "unit": item["unit"]}  # fmt: skip
        rate = _cost(item) if entity in PURCHASE_SIDE else float(item["rate"])
        if rec.get("currency_code") == "USD":
            rate = round(rate / USD_PER_IQD, 2)
        total = round(line["qty"] * rate, 2)
        return {**base, "description": "", "item_order": k + 1, "quantity": float(line["qty"]),
                "unit": item["unit"], "rate": rate, "discount": 0.0, "discount_amount": 0.0,
                "tax_id": "", "tax_name": "", "tax_percentage": 0.0, "item_total": total,
                "warehouse_id": wid, "warehouse_name": wname}  # fmt: skip

    def _retotal(self, entity: str, rec: dict[str, Any]) -> None:
        lines = rec.get("line_items") or []
        if entity == "inventoryadjustments":
            if rec.get("adjustment_type") == "value":
                rec["total"] = round(sum(x["value_adjusted"] for x in lines), 2)
            else:
                cost = {x["item_id"]: _cost(self._item_or_none(x["item_id"])) for x in lines}
                rec["total"] = round(sum(x["quantity_adjusted"] * cost[x["item_id"]]
                                         for x in lines), 2)  # fmt: skip
        elif entity != "transferorders":
            sub = round(sum(float(x.get("item_total") or 0) for x in lines), 2)
            tax = round(sum(float(x.get("item_total") or 0) * _pct(x) / 100 for x in lines), 2)
            rec.update(sub_total=sub, tax_total=tax, total=round(sub + tax, 2))
            if "balance" in rec:
                rec["balance"] = (
                    0.0 if rec.get("status") in ("paid", "void", "closed") else rec["total"]
                )

    def _item_or_none(self, item_id: str) -> dict[str, Any] | None:
        row = self.world.stores["items"].get(item_id)
        return None if row is None else self.world.detail("items", row)

    def _new_inventory_doc(
        self, entity: str, rid: str, idx: int, t: int, rng: random.Random
    ) -> Row:
        if entity == "inventoryadjustments":
            name, core = f"ADJ-{idx + 1:05d}", ("quantity", rng.randrange(5))
        else:
            source = rng.randrange(len(WAREHOUSES))
            target = (source + rng.randrange(1, len(WAREHOUSES))) % len(WAREHOUSES)
            name, core = f"TO-{idx + 1:05d}", (source, target)
        day = day_str(day_of(t))
        return Row(
            rid,
            idx,
            name,
            t,
            t,
            day,
            "adjusted" if entity == "inventoryadjustments" else "transferred",
            "inventory",
            core,
        )

    def _default_stock_edit(self, entity: str, rec: dict[str, Any]) -> None:
        """An adjustment or transfer edited without fields: its first line moves one more."""
        lines = [dict(x) for x in rec.get("line_items") or []]
        if lines and entity == "inventoryadjustments":
            key = "value_adjusted" if rec.get("adjustment_type") == "value" else "quantity_adjusted"
            lines[0][key] += 1000.0 if key == "value_adjusted" else 1.0
        elif lines and entity == "transferorders":
            lines[0]["quantity_transfer"] += 1.0
        rec["line_items"] = lines
        self._retotal(entity, rec)


def _cost(item: dict[str, Any] | None) -> float:
    if item is None:
        return 0.0
    prate = item.get("purchase_rate")
    return float(prate) if isinstance(prate, int | float) else float(round(item["rate"] * 0.7))


def _pct(line: dict[str, Any]) -> float:
    try:
        return float(str(line.get("tax_percentage") or 0).rstrip("%"))
    except ValueError:
        return 0.0
