"""Payments, expenses and settings through `/_sandbox/mutate` (a mixin of `Mutator`).

A payment's `fields.invoices` (customer payments) or `fields.bills` (vendor payments) is a
list of `{invoice_id | bill_id, amount_applied?}` (default: the document's whole balance);
`amount` (default: what is applied; more leaves an unused amount), `payment_mode`, `date`,
`reference_number`, `description` are copied. Created without lines, a payment pays one open
document in full (or, without any, is an advance of `amount`). Every change re-applies the
payment: the documents it leaves or reaches get their balance and status recomputed and
their `last_modified_time` moved, as Zoho does. An invoice or bill deleted, voided or set to
draft releases what was applied to it (the payments keep their amount, now unused, and are
edited); one whose total falls below what was applied releases the excess, newest payment
first. Generated settings records are in use and cannot be deleted (400).
"""

from __future__ import annotations

import random
from typing import Any

from .clock import day_of, day_str, fmt_ts, make_id, today_of
from .gen_docs import PAID_BY
from .gen_expenses import expense_core
from .gen_payments import BY_DOCS, PAY_KINDS, PayKind, doc_line, settle_status
from .gen_settings import BANK_ACCOUNTS, CASH_ACCOUNTS, account_ref, in_use, new_setting
from .mutate_prices import MutationError
from .specs import ENT, PAYMENT_MODES, SETTINGS, SPECS
from .store import Row
from .world import World

OPEN = ("sent", "open", "overdue", "partially_paid")
Applied = list[tuple[str, float | None]]  # (document id, amount or None: the whole balance)


class LedgerEdits:
    world: World
    rng: random.Random
    line_serial: int
    default_applied: dict[str, Applied]  # what a payment created without lines applies

    def _save(self, store: Any, entity: str, row: Row, rec: dict[str, Any], t: int) -> None:
        raise NotImplementedError  # Mutator's

    def _edited(self, entity: str, row: Row, changes: list[Any]) -> None:
        raise NotImplementedError  # Mutator's

    # -- checks before anything changes -------------------------------------------------
    def _prepare_ledger(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        if entity not in PAY_KINDS:
            return fields
        pk, out = PAY_KINDS[entity], dict(fields)
        if "payment_mode" in fields and fields["payment_mode"] not in PAYMENT_MODES:
            raise MutationError(400, f"payment_mode must be one of {', '.join(PAYMENT_MODES)}")
        if "amount" in fields and (isinstance(fields["amount"], bool) or
                                   not isinstance(fields["amount"], int | float)
                                   or fields["amount"] < 0):  # fmt: skip
            raise MutationError(400, "amount must be a non-negative number")
        if pk.lines_key in fields:
            out[pk.lines_key] = self._parse_applied(pk, fields[pk.lines_key])
        return out

    def _parse_applied(self, pk: PayKind, lines: Any) -> Applied:
        id_key = SPECS[pk.docs].id_field
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise MutationError(400, f"{pk.lines_key} must be a list of objects")
        out: Applied = []
        for line in lines:
            doc_id, amount = str(line.get(id_key, "")), line.get("amount_applied")
            doc = self.world.stores[pk.docs].get(doc_id)
            if doc is None:
                raise MutationError(404, f"no live {SPECS[pk.docs].label.lower()} with id {doc_id}")
            if doc.status in ("draft", "void"):
                raise MutationError(400, f"{doc.name} is {doc.status}: no payment applies to it")
            number = isinstance(amount, int | float) and not isinstance(amount, bool)
            if amount is not None and (not number or amount <= 0):
                raise MutationError(400, "amount_applied must be a positive number")
            out.append((doc_id, None if amount is None else round(float(amount), 2)))
        parties = {self._doc(pk, d)[f"{pk.party}_id"] for d, _a in out}
        if len(parties) > 1:
            raise MutationError(400, f"a payment's {pk.lines_key} must share one {pk.party}")
        return out

    def _doc(self, pk: PayKind, doc_id: str) -> dict[str, Any]:
        row = self.world.stores[pk.docs].get(doc_id)
        assert row is not None
        return self.world.detail(pk.docs, row)

    # -- new records --------------------------------------------------------------------
    def _new_ledger_row(self, entity: str, rid: str, idx: int, t: int, rng: random.Random,
                        fields: dict[str, Any]) -> Row:  # fmt: skip
        day = day_str(day_of(t))
        if entity in SETTINGS:
            return new_setting(self.world.seed, entity, rid, idx, t, rng)
        if entity == "expenses":
            core = expense_core(rng, self.world.contacts)
            return Row(rid, idx, f"EXP-{idx + 1:05d}", t, t, day, core[-1], "books", core[:-1])
        pk = PAY_KINDS[entity]
        applied = fields.get(pk.lines_key) or self._open_doc(pk)
        mode = str(fields.get("payment_mode", rng.choice(PAYMENT_MODES[:3])))
        row = Row(rid, idx, str(idx + 1), t, t, day, mode, "books", None)
        party = self._doc(pk, applied[0][0]) if applied else {}
        currency = party.get("currency_code", "IQD")
        account = (CASH_ACCOUNTS[0] if mode == "cash"
                   else BANK_ACCOUNTS.get(currency, BANK_ACCOUNTS["IQD"]))  # fmt: skip
        acc_id, acc_name = account_ref(self.world.seed, account)
        prefix = "" if pk.party == "customer" else "paid_through_"
        row.rec = {
            "payment_id": rid, "payment_number": row.name, "date": day, "payment_mode": mode,
            "amount": 0.0, ("unused_amount" if pk.party == "customer" else "balance"): 0.0,
            f"{pk.party}_id": party.get(f"{pk.party}_id", ""),
            f"{pk.party}_name": party.get(f"{pk.party}_name", ""),
            "reference_number": f"REF-{rng.randint(100000, 999999)}",
            "currency_id": party.get("currency_id", ""), "currency_code": currency,
            "exchange_rate": party.get("exchange_rate", 1.0), f"{prefix}account_id": acc_id,
            f"{prefix}account_name": acc_name, "description": "", pk.lines_key: [],
            "created_time": fmt_ts(t), "last_modified_time": fmt_ts(t),
        }  # fmt: skip
        if pk.lines_key not in fields:
            self.default_applied[rid] = applied
        return row

    def _open_doc(self, pk: PayKind) -> Applied:
        docs = [r.id for r in self.world.stores[pk.docs].rows.values() if r.status in OPEN]
        return [(self.rng.choice(docs), None)] if docs else []

    # -- before a record is saved or deleted --------------------------------------------
    def _settle(self, entity: str, row: Row, rec: dict[str, Any], fields: dict[str, Any],
                t: int, changes: list[Any]) -> None:  # fmt: skip
        """Bring the ledger and the record in line before the record is saved."""
        if entity in PAY_KINDS:
            self._apply_payment(PAY_KINDS[entity], row, rec, fields, t)
        elif entity in PAID_BY:
            self._settle_doc(entity, row, rec, t, changes)
        elif entity == "chartofaccounts":
            row.status = "active" if rec.get("is_active", True) else "inactive"

    def _before_delete(self, entity: str, row: Row, t: int, changes: list[Any]) -> None:
        if entity in SETTINGS and in_use(entity, row):
            raise MutationError(400, f"{SPECS[entity].label} {row.name} is in use: only "
                                "records created through the sandbox can be deleted")  # fmt: skip
        if entity in PAID_BY:
            self._release(entity, row.id, None, t, changes)
        elif entity in PAY_KINDS:
            pk = PAY_KINDS[entity]
            for doc_id in self._lines_of(pk, row):
                self.world.ledger[pk.docs][doc_id].pop(row.id, None)
                self._resettle(pk.docs, doc_id, t)

    def _lines_of(self, pk: PayKind, row: Row) -> dict[str, float]:
        rec = self.world.detail(pk.entity, row)
        id_key = SPECS[pk.docs].id_field
        return {x[id_key]: x["amount_applied"] for x in rec.get(pk.lines_key) or []}

    def _apply_payment(self, pk: PayKind, row: Row, rec: dict[str, Any],
                       fields: dict[str, Any], t: int) -> None:  # fmt: skip
        row.status = str(rec["payment_mode"])
        old = self._lines_of(pk, row)
        wanted = fields.get(pk.lines_key, self.default_applied.pop(row.id, None))
        ledger = self.world.ledger.setdefault(pk.docs, {})
        new = dict(old)
        if wanted is not None:
            new = {}
            for doc_id, amount in wanted:
                free = round(self._doc(pk, doc_id)["balance"] + old.get(doc_id, 0.0), 2)
                take = free if amount is None else amount
                if take > free or take <= 0:
                    raise MutationError(400, f"{SPECS[pk.docs].label} {doc_id} has {free} "
                                             f"to pay: cannot apply {take}")  # fmt: skip
                new[doc_id] = round(new.get(doc_id, 0.0) + take, 2)
            if new and rec.get(f"{pk.party}_id") not in ("", self._doc(pk, next(iter(new)))[
                    f"{pk.party}_id"]):  # fmt: skip
                raise MutationError(400, f"the documents belong to another {pk.party}")
        applied = round(sum(new.values()), 2)
        unused_key = "unused_amount" if pk.party == "customer" else "balance"
        amount = float(fields.get("amount", applied + (rec.get(unused_key, 0.0) if old else 0.0)))
        if amount < applied:
            raise MutationError(400, f"amount {amount} is less than the {applied} applied")
        for doc_id in old:
            ledger.get(doc_id, {}).pop(row.id, None)
        for doc_id, take in new.items():
            ledger.setdefault(doc_id, {})[row.id] = take
        lines = []
        for doc_id in dict.fromkeys([*new, *old]):
            doc = self._resettle(pk.docs, doc_id, t)
            if doc_id in new:
                self.line_serial += 1
                lines.append(doc_line(pk, self._line_id(pk), doc, new[doc_id]))
        rec.update({"amount": round(amount, 2), unused_key: round(amount - applied, 2),
                    pk.lines_key: lines})  # fmt: skip
        if lines:
            numbers = ", ".join(str(x.get("invoice_number") or x.get("bill_number")) for x in lines)
            rec["description"] = fields.get("description", f"Payment for {numbers}")

    def _line_id(self, pk: PayKind) -> str:
        return str(make_id(self.world.seed, ENT[pk.line_ent], 900_000_000_000 + self.line_serial))

    def _resettle(self, docs: str, doc_id: str, t: int) -> dict[str, Any]:
        """Recompute a document's balance and status from the ledger and save it (its
        `last_modified_time` moves); the record as saved."""
        store = self.world.stores[docs]
        row = store.get(doc_id)
        assert row is not None
        rec = dict(self.world.detail(docs, row))
        self._balance(docs, row.id, rec, t)
        self._save(store, docs, row, rec, t)
        return rec

    def _balance(self, docs: str, doc_id: str, rec: dict[str, Any], t: int) -> None:
        status, balance = settle_status(
            str(rec["status"]), self.world.paid(docs, doc_id), float(rec["total"]),
            str(rec.get("due_date", "")), today_of(t), BY_DOCS[docs].waiting,
        )  # fmt: skip
        rec.update(status=status, balance=balance)

    def _settle_doc(self, docs: str, row: Row, rec: dict[str, Any], t: int,
                    changes: list[Any]) -> None:  # fmt: skip
        """An invoice or bill about to be saved: release what no longer fits, then its
        balance and status."""
        keep = 0.0 if rec.get("status") in ("draft", "void") else float(rec["total"])
        self._release(docs, row.id, keep, t, changes)
        self._balance(docs, row.id, rec, t)

    def _release(self, docs: str, doc_id: str, keep: float | None, t: int,
                 changes: list[Any]) -> None:  # fmt: skip
        """Take back what payments applied to a document beyond `keep` (None: all, the
        document is going), newest payment first; each payment touched is edited."""
        pk = BY_DOCS[docs]
        applied = self.world.ledger.get(docs, {}).get(doc_id, {})
        excess = round(sum(applied.values()) - (keep or 0.0), 2)
        store = self.world.stores[pk.entity]
        for pid in sorted(applied, key=lambda p: store.rows[p].created, reverse=True):
            if excess <= 0:
                break
            back = min(excess, applied[pid])
            excess = round(excess - back, 2)
            applied[pid] = round(applied[pid] - back, 2)
            if applied[pid] <= 0:
                del applied[pid]
            self._shrink(pk, store.rows[pid], doc_id, back, t, changes)

    def _shrink(self, pk: PayKind, row: Row, doc_id: str, back: float, t: int,
                changes: list[Any]) -> None:  # fmt: skip
        rec = dict(self.world.detail(pk.entity, row))
        id_key = SPECS[pk.docs].id_field
        lines = []
        for line in rec.get(pk.lines_key) or []:
            if line[id_key] == doc_id:
                line = {**line, "amount_applied": round(line["amount_applied"] - back, 2)}
                if line["amount_applied"] <= 0:
                    continue
            lines.append(line)
        unused_key = "unused_amount" if pk.party == "customer" else "balance"
        rec.update({pk.lines_key: lines, unused_key: round(rec[unused_key] + back, 2)})
        self._save(self.world.stores[pk.entity], pk.entity, row, rec, t)
        self._edited(pk.entity, row, changes)
