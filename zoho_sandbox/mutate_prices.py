"""Price-book edits for the control API's mutations (a mixin of `Mutator`): rates changed at
random or set by hand, and books created under a deleted or generated book's name. Also
home of `MutationError`, which both halves raise."""

from __future__ import annotations

import random
from typing import Any

from .clock import make_id
from .gen_pricebooks import generated_book
from .specs import ENT
from .store import Row
from .world import World


class MutationError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PriceEdits:
    world: World
    rng: random.Random
    rates_per_book: int
    retired_books: dict[str, dict[str, float]]

    def _reprice(self, row: Row) -> list[str]:
        rates = row.core["rates"]
        picked = self.rng.sample(sorted(rates), min(self.rates_per_book, len(rates)))
        for item_id in picked:
            pbi, rate = rates[item_id]
            rates[item_id] = [
                pbi,
                float(round(rate * 1.1 / 250) * 250) if rate >= 250 else round(rate * 1.1 + 1, 2),
            ]
        return picked

    def _edit_rates(
        self, row: Row, action: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """An update's rates (`fields.rates`, else `count` at random): (other fields, item ids)."""
        if action != "update":
            return fields, []
        fields = dict(fields)
        rates = fields.pop("rates", None)
        return fields, self._reprice(row) if rates is None else self._set_rates(row, rates)

    def _set_rates(self, row: Row, wanted: Any) -> list[str]:
        """`fields.rates` `{item_id: rate}`: set these rates, adding items the book lacks."""
        if not isinstance(wanted, dict) or not all(
            isinstance(r, int | float) and not isinstance(r, bool) for r in wanted.values()
        ):
            raise MutationError(400, "fields.rates must map item ids to numbers")
        items = self.world.stores["items"]
        unknown = [str(i) for i in wanted if items.get(str(i)) is None]
        if unknown:
            raise MutationError(404, f"no live item with id {', '.join(unknown)}")
        rates = row.core["rates"]
        for item_id, rate in wanted.items():
            pbi = rates[str(item_id)][0] if str(item_id) in rates else self._new_pbi(row)
            rates[str(item_id)] = [pbi, float(rate)]
        return [str(i) for i in wanted]

    def _new_pbi(self, row: Row) -> int:
        taken = {pbi for pbi, _rate in row.core["rates"].values()}
        n = row.idx * 10**10 + 5 * 10**9 + len(taken)
        while self.world_id("pricebook_items", n) in taken:
            n += 1
        return self.world_id("pricebook_items", n)

    def _new_pricebook(self, rid: str, idx: int, t: int, fields: dict[str, Any]) -> Row:
        """A book named after a deleted or generated one prices the same items at the same
        rates (so `Consumer` can be deleted and re-created); any other gets 5 items."""
        name = str(fields.get("name") or f"Price Book {idx + 1}")
        known = generated_book(self.world.seed, name, self.world.items)
        _name, currency, description, decimals = (
            known[0] if known else (name, "IQD", "Created in the sandbox", 0)
        )
        old = self.retired_books.get(name) or (known[1] if known else None)
        items = self.world.items
        if old is None:
            live = [j for j in range(items.books_count) if items.active[j]]
            picked = sorted(self.rng.sample(live, min(5, len(live))))
            old = {items.ids[j]: items.rates[j] for j in picked}
        alive = self.world.stores["items"].get
        rates = {
            iid: [self.world_id("pricebook_items", idx * 10**10 + k), rate]
            for k, (iid, rate) in enumerate(old.items())
            if alive(iid) is not None
        }
        core = {
            "currency": str(fields.get("currency_code") or currency),
            "description": description,
            "decimals": decimals,
            "rates": rates,
        }
        return Row(rid, idx, name, t, t, "", "active", "books", core)

    def world_id(self, ent_name: str, n: int) -> int:
        return make_id(self.world.seed, ENT[ent_name], n + 1)
