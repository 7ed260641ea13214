"""Control-API mutations: create, update or delete records as if someone used Zoho's UI.

Every change materialises the record (`row.rec`) and stamps it with the mutation clock, which
reads the sandbox's clock (`clock.now()`) but never goes below the end of generated data nor
backwards; `same_second` repeats the previous stamp, as two edits within one second share it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from . import doc_stock, images
from .clock import GEN_END, day_of, day_str, fmt_ts, make_id, now, rng_for
from .gen_contacts import contact_core, edit_contact
from .gen_docs import KINDS, doc_core, party_range
from .gen_items import gen_stock, item_core, stock_of, stock_totals
from .gen_settings import edit_setting
from .mutate_docs import LINE_DOCS, DocEdits
from .mutate_payments import LedgerEdits
from .mutate_prices import MutationError, PriceEdits
from .specs import DOCUMENTS, ENT, INVENTORY_DOCS, PAYMENTS, SETTINGS, SPECS
from .stock_moves import StockError, random_move, set_on_hand
from .store import EntityStore, Row
from .switches import Switches
from .world import ENTITIES, World

ACTIONS = ("create", "update", "delete")
NAME_KEYS = {
    "items": "name",
    "contacts": "contact_name",
    "pricebooks": "name",
    **{e: KINDS[e].number_key for e in DOCUMENTS},
    "inventoryadjustments": "reference_number",
    "transferorders": "transfer_order_number",
    "customerpayments": "payment_number",
    "vendorpayments": "payment_number",
    "expenses": "reference_number",
    "users": "name",
    "taxes": "tax_name",
    "currencies": "currency_code",
    "chartofaccounts": "account_name",
}
WAITING_STATUS = {"invoices": "sent", "bills": "open", "creditnotes": "open", "salesorders": "open",
                  "inventoryadjustments": "adjusted", "transferorders": "transferred",
                  "purchaseorders": "open", "estimates": "sent",
                  "vendorcredits": "open"}  # fmt: skip
DATED = (*DOCUMENTS, *INVENTORY_DOCS, *PAYMENTS, "expenses")
LEDGER_ROWS = (*PAYMENTS, "expenses", *SETTINGS)  # created by LedgerEdits


@dataclass
class Change:
    """One changed record, as a webhook would carry it."""

    entity: str  # webhook route key: an entity name or "stock"
    event: str  # created | edited | deleted
    record_key: str
    record: dict[str, Any]


class Mutator(LedgerEdits, PriceEdits, DocEdits):
    def __init__(self, world: World, switches: Switches | None = None) -> None:
        self.world = world
        # whether a stock movement / a rate edit moves the record's last_modified_time, whether
        # a stock move sends the item to the stock route (switches.py)
        self.switches = switches or Switches()
        self.line_serial = 0
        self.default_applied = {}
        self.rng = random.Random(f"{world.seed}:mutations")
        self.last_stamp = GEN_END + 1
        self.stamped = False  # whether a mutation has taken a stamp yet
        self.rates_per_book = 5
        self.image_edit: str | None = None  # fields.image of the current items mutation
        self.image_serial = 0
        # rates of deleted price books by name: re-creating one prices the same items
        self.retired_books: dict[str, dict[str, float]] = {}

    def stamp(self, same_second: bool = False) -> int:
        """The sandbox's clock, whole seconds, never backwards. `same_second` holds it at the
        previous mutation's stamp (the first mutation reads the clock), so successive edits
        of one record can share a `last_modified_time` while their content differs."""
        if not (same_second and self.stamped):
            self.last_stamp = max(int(now()), self.last_stamp)
        self.stamped = True
        return self.last_stamp

    @property
    def switches(self) -> Switches:
        return self.world.switches  # the world's listings read them too

    @switches.setter
    def switches(self, value: Switches) -> None:
        self.world.switches = value

    @property
    def bump_stock(self) -> bool:
        return self.switches.stock_moves_bump_modified

    @property
    def bump_rates(self) -> bool:
        return self.switches.rate_edits_bump_modified

    def apply(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[Change]]:
        entity, action = body.get("entity"), body.get("action")
        if entity not in (*ENTITIES, "stock"):
            raise MutationError(400, f"unknown entity {entity!r}")
        if action not in ACTIONS or (entity == "stock" and action != "update"):
            raise MutationError(400, f"unsupported action {action!r} for {entity}")
        fields = body.get("fields") or {}
        if not isinstance(fields, dict):
            raise MutationError(400, "fields must be an object")
        same_second = body.get("same_second", False)
        if not isinstance(same_second, bool):
            raise MutationError(400, "same_second must be true or false")
        if action != "delete":
            # checked before anything changes
            fields = self._prepare_ledger(entity, self._prepare(entity, fields))
        fields, self.image_edit = self._image_edit(entity, fields)
        t = self.stamp(same_second)
        store = self.world.stores["items" if entity == "stock" else entity]
        # for price books, `count` is how many rates change per book (default 5); without ids
        # the Consumer book is the one edited
        self.rates_per_book = _count(body) if "count" in body else 5
        if action == "create":
            rows = [self._create(entity, store, t, fields) for _ in range(_count(body))]
        elif entity == "pricebooks" and action == "update" and body.get("ids") is None:
            rows = sorted(store.rows.values(), key=lambda r: (r.name != "Consumer", r.id))[:1]
        else:
            rows = self._targets(store, body)
        changes: list[Change] = []
        records = [self._one(entity, action, store, row, fields, t, changes) for row in rows]
        return {"entity": entity, "action": action, "records": records}, changes

    def _targets(self, store: EntityStore, body: dict[str, Any]) -> list[Row]:
        if body.get("ids") is not None:
            if not isinstance(body["ids"], list):
                raise MutationError(400, "ids must be a list")
            wanted = list(dict.fromkeys(str(rid) for rid in body["ids"]))
            rows = [store.get(rid) for rid in wanted]
            missing = [rid for rid, row in zip(wanted, rows, strict=True) if row is None]
            if missing:
                raise MutationError(404, f"no live record with id {', '.join(missing)}")
            return [r for r in rows if r is not None]
        ids = sorted(store.rows)
        return [store.rows[i] for i in self.rng.sample(ids, min(_count(body), len(ids)))]

    def _one(
        self,
        entity: str,
        action: str,
        store: EntityStore,
        row: Row,
        fields: dict[str, Any],
        t: int,
        changes: list[Change],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"id": row.id, "last_modified_time": fmt_ts(t)}
        key = "item" if entity == "stock" else SPECS[entity].record_key
        if action == "delete":
            self._before_delete(entity, row, t, changes)
            if entity == "pricebooks":
                self.retired_books[row.name] = {i: r for i, (_p, r) in row.core["rates"].items()}
            before = self.world.detail(entity, row)
            changes.append(Change(entity, "deleted", key, self.world.published(entity, row)))
            store.remove(row)
            self._stock_follows(entity, before, None, t, out, changes)
            return out
        if entity == "stock":
            self._restock(store, row, t, fields)
            if self.switches.stock_item_webhooks:
                changes.append(Change("stock", "edited", key, self.world.inventory(row, True)))
            out["stock_on_hand"] = stock_totals(stock_of(self.world.seed, row))["stock_on_hand"]
            out["last_modified_time"] = fmt_ts(row.lmt)  # unmoved without bump_stock
            return out
        if entity == "pricebooks":
            fields, out["item_ids"] = self._edit_rates(row, action, fields)
            if action == "update" and not fields and not self.bump_rates:
                out["last_modified_time"] = fmt_ts(row.lmt)  # a rate edit leaves it alone
                changes.append(Change(entity, "edited", key, self.world.detail(entity, row)))
                return out
        rec = dict(
            self.world.detail(entity, row)
            if entity != "pricebooks"
            else self.world.summary(entity, row)
        )
        # what the document moved before this change (nothing for a new one)
        before = self.world.detail(entity, row) if action == "update" else None
        if (
            action == "update"
            and entity != "pricebooks"
            and not (entity in INVENTORY_DOCS and fields)
            and self.image_edit is None
        ):
            self._default_edit(entity, rec)
        if self.image_edit is not None:
            self.image_serial += 1
            images.edit(self.world.seed, rec, self.image_edit, self.image_serial)
        try:
            if entity in LINE_DOCS:
                self._apply_fields(entity, rec, fields)
            else:
                rec.update(fields)
            self._settle(entity, row, rec, fields, t, changes)
        except MutationError:
            if action == "create":
                store.remove(row)
            raise
        self._save(store, entity, row, rec, t)
        event = "created" if action == "create" else "edited"
        changes.append(Change(entity, event, key, self.world.published(entity, row)))
        self._stock_follows(entity, before, rec, t, out, changes)
        return out

    def _image_edit(self, entity: str, fields: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """`fields.image` of an items create or update (images.EDITS), taken out of the fields."""
        if entity != "items" or "image" not in fields:
            return fields, None
        try:
            how = images.check_edit(fields)
        except ValueError as exc:
            raise MutationError(400, str(exc)) from None
        return {k: v for k, v in fields.items() if k != "image"}, how

    def _stock_follows(
        self,
        entity: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        t: int,
        out: dict[str, Any],
        changes: list[Change],
    ) -> None:
        """Move the stock of the document's items; by the switches, bump their
        `last_modified_time` and send each to the stock route."""
        if entity not in doc_stock.STOCK_DOCS or not self.switches.documents_move_stock:
            return
        seed, items = self.world.seed, self.world.stores["items"]
        moved = doc_stock.apply(seed, items, doc_stock.difference(seed, entity, before, after))
        out["stock_moved"] = moved
        for item_id in moved:
            row = items.rows[item_id]
            if self.bump_stock:
                self._save(items, "items", row, dict(self.world.detail("items", row)), t)
            if self.switches.stock_item_webhooks:
                changes.append(Change("stock", "edited", "item", self.world.inventory(row, True)))

    def _save(self, store: EntityStore, entity: str, row: Row, rec: dict[str, Any], t: int) -> None:
        store.begin_change(row)
        if SPECS[entity].lmt_filter:  # users, taxes and currencies carry no timestamps
            rec["last_modified_time"] = fmt_ts(t)
        row.lmt = t
        row.name = str(rec.get(NAME_KEYS[entity], row.name))
        row.status = str(rec.get("status", row.status))
        row.date = str(rec.get("date", row.date)) if entity in DATED else ""
        row.rec = rec
        store.end_change(row)

    def _default_edit(self, entity: str, rec: dict[str, Any]) -> None:
        """A visible change when the caller gives no fields."""
        if entity == "items":
            if isinstance(rec.get("rate"), float):
                rec["rate"] = float(round(rec["rate"] * 1.05 / 250) * 250 or 250)
            rec["description"] = f"{rec.get('description', '')} (revised)".strip()
        elif entity == "contacts":
            edit_contact(self.rng, rec)
        elif entity in SETTINGS:
            edit_setting(self.rng, entity, rec)
        elif entity in INVENTORY_DOCS:
            self._default_stock_edit(entity, rec)
        else:
            rec["reference_number"] = f"REF-{self.rng.randint(100000, 999999)}"

    def _restock(self, store: EntityStore, row: Row, t: int, fields: dict[str, Any]) -> None:
        """A random move, or `fields.stock_on_hand` (a total, or `{warehouse_id: n}`)."""
        stock = stock_of(self.world.seed, row)
        try:
            stock = (
                set_on_hand(self.world.seed, stock, fields["stock_on_hand"])
                if "stock_on_hand" in fields
                else random_move(self.rng, stock)
            )
        except StockError as exc:
            raise MutationError(400, str(exc)) from None
        rec = dict(self.world.detail("items", row))
        row.stock = stock
        if self.bump_stock:
            self._save(store, "items", row, rec, t)

    def _create(self, entity: str, store: EntityStore, t: int, fields: dict[str, Any]) -> Row:
        idx = store.next_idx
        rng = rng_for(self.world.seed, ENT[entity] + 100, idx)
        rid = str(self.world_id(entity, idx))
        if entity == "items":
            name, core = item_core(rng, idx, None)
            row = Row(rid, idx, name, t, t, "", "active", "books", core)
            row.stock = gen_stock(self.world.seed, idx)
        elif entity == "contacts":
            name, core = contact_core(rng, False, None, self.world.pricebook_ids)
            row = Row(rid, idx, f"{name} {idx + 1}", t, t, "", "active", "books", core)
        elif entity == "pricebooks":
            row = self._new_pricebook(rid, idx, t, fields)
        elif entity in INVENTORY_DOCS:
            row = self._new_inventory_doc(entity, rid, idx, t, rng)
        elif entity in LEDGER_ROWS:
            row = self._new_ledger_row(entity, rid, idx, t, rng, fields)
        else:
            kind = KINDS[entity]
            core = doc_core(rng, *party_range(kind, self.world.contacts))
            row = Row(
                rid,
                idx,
                f"{kind.prefix}-{idx + 1:06d}",
                t,
                t,
                day_str(day_of(t)),
                WAITING_STATUS[entity],
                "books",
                core,
            )
        row.rec = (
            dict(self.world.detail(entity, row))
            if entity != "pricebooks"
            else self.world.summary(entity, row)
        )
        store.add(row)
        return row

    def _edited(self, entity: str, row: Row, changes: list[Change]) -> None:
        changes.append(Change(entity, "edited", SPECS[entity].record_key,
                              self.world.published(entity, row)))  # fmt: skip

    def world_id(self, ent_name: str, n: int) -> int:
        return make_id(self.world.seed, ENT[ent_name], n + 1)


def _count(body: dict[str, Any]) -> int:
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise MutationError(400, "count must be a non-negative integer")
    return count
