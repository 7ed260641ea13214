"""Customer payments (applied to invoices) and vendor payments (applied to bills).

Generated from the documents: every invoice the document generator drew as paid or
partially paid gets one installment (15 % of the fully paid ones two), each customer's
installments are cut into consecutive payments (the configured count shared across the
customers in proportion), and the documents' balances and statuses are then set from what
the payments applied. A customer left without a payment (a count smaller than the number of
paying customers) keeps its invoices unpaid: `sent`/`open`, or `overdue` past the due date.
Every amount is kept exact: an invoice's installments telescope to `round(total * share, 2)`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .clock import DAY0, DOC_LAST_DAY, GEN_END, day_start, day_str, fmt_ts, make_id
from .gen_contacts import USD_PER_IQD, ContactCatalog, currency_id
from .gen_settings import BANK_ACCOUNTS, CASH_ACCOUNTS, account_ref
from .specs import ENT, PAYMENT_MODES
from .store import Row

Ledger = dict[str, dict[str, float]]  # document id -> {payment id: amount applied}
MODE_WEIGHTS = (0.5, 0.3, 0.15, 0.05)  # cash, bank transfer, check, credit card


@dataclass(frozen=True)
class PayKind:
    entity: str  # customerpayments | vendorpayments
    docs: str  # invoices | bills
    party: str  # customer | vendor
    lines_key: str  # invoices | bills
    line_id_key: str  # invoice_payment_id | bill_payment_id
    line_ent: str
    waiting: str  # a document's unpaid status before its due date: sent | open


PAY_KINDS = {
    "customerpayments": PayKind("customerpayments", "invoices", "customer", "invoices",
                                "invoice_payment_id", "invoice_payments", "sent"),
    "vendorpayments": PayKind("vendorpayments", "bills", "vendor", "bills", "bill_payment_id",
                              "bill_payments", "open"),
}  # fmt: skip
BY_DOCS = {pk.docs: pk for pk in PAY_KINDS.values()}
DETAIL_ONLY_KEYS = ("invoices", "bills", "description", "exchange_rate", "currency_id")


def _day(text: str) -> int:
    return (date.fromisoformat(text) - DAY0).days


def doc_line(pk: PayKind, line_id: str, doc: dict[str, Any], amount: float) -> dict[str, Any]:
    """One application, as the payment's detail lists it; the balance is the document's just
    after this payment (kept with the payment: later payments do not move it)."""
    balance = round(float(doc["balance"]), 2)
    if pk.docs == "invoices":
        return {"invoice_payment_id": line_id, "invoice_id": doc["invoice_id"],
                "invoice_number": doc["invoice_number"], "date": doc["date"],
                "invoice_amount": doc["total"], "amount_applied": amount,
                "balance_amount": balance}  # fmt: skip
    return {"bill_payment_id": line_id, "bill_id": doc["bill_id"],
            "bill_number": doc["bill_number"], "date": doc["date"], "total": doc["total"],
            "balance": balance, "amount_applied": amount}  # fmt: skip


def _doc_ref(pk: PayKind, row: Row, total: float, balance: float) -> dict[str, Any]:
    """What `doc_line` reads of a generated document, without rendering it again."""
    key = "invoice" if pk.docs == "invoices" else "bill"
    return {f"{key}_id": row.id, f"{key}_number": row.name, "date": row.date, "total": total,
            "balance": balance}  # fmt: skip


def _installments(rng: random.Random, rows: list[Row]) -> list[tuple[int, Row, float, float]]:
    """(day, document, share paid before, share paid after) for one party's documents: one
    installment each, 15 % of the fully paid ones two, the second 7+ days later."""
    out = []
    for row in rows:
        _party, due_days, frac = row.core
        share = 1.0 if row.status == "paid" else round(1 - frac, 2)
        cuts = [0.0, share]
        if share == 1.0 and rng.random() < 0.15:
            cuts = [0.0, rng.choice((0.3, 0.4, 0.5, 0.6)), 1.0]
        day = _day(row.date)
        for k in range(len(cuts) - 1):
            day = min(DOC_LAST_DAY, day + rng.randint(7 if k else 0, due_days + 20))
            out.append((day, row, cuts[k], cuts[k + 1]))
    return out


def _allocate(n: int, sizes: list[int]) -> list[int]:
    """n split in proportion to sizes (largest remainder), none above its size."""
    total = sum(sizes)
    n = min(n, total)
    exact = [n * s / total if total else 0 for s in sizes]
    out = [min(int(e), s) for e, s in zip(exact, sizes, strict=True)]
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    while sum(out) < n:
        for i in order:
            if sum(out) < n and out[i] < sizes[i]:
                out[i] += 1
    return out


def generate_payments(
    seed: int,
    pk: PayKind,
    n: int,
    doc_rows: list[Row],
    render: Callable[[Row, float], dict[str, Any]],
    contacts: ContactCatalog,
) -> tuple[list[Row], Ledger]:
    """Payment rows and the ledger; `render(row, paid)` renders a document as if `paid` were
    applied to it. The documents' statuses are then settled from the ledger."""
    rng = random.Random(f"{seed}:{pk.entity}")
    candidates: dict[int, list[Row]] = defaultdict(list)
    for row in doc_rows:
        if row.status in ("paid", "partially_paid"):
            candidates[row.core[0]].append(row)
    parties = sorted(candidates)
    # shared by document count (no more payments than documents); only the parties that
    # get a payment draw installments, so a large organisation stays cheap to start
    quotas = _allocate(n, [len(candidates[p]) for p in parties])
    chunks: list[tuple[int, list[tuple[int, Row, float, float]]]] = []
    for party, k in zip(parties, quotas, strict=True):
        if not k:
            continue
        party_rng = random.Random(f"{seed}:{pk.entity}:{party}")
        todo = sorted(_installments(party_rng, candidates[party]), key=lambda x: (x[0], x[1].idx))
        cuts = sorted(party_rng.sample(range(1, len(todo)), k - 1)) if k > 1 else []
        for lo, hi in zip([0, *cuts], [*cuts, len(todo)], strict=True):
            chunks.append((party, todo[lo:hi]))
    chunks.sort(key=lambda c: (max(x[0] for x in c[1]), c[0]))
    ledger: Ledger = defaultdict(dict)
    totals: dict[str, float] = {}
    rows, serial = [], 0
    for idx, (party, chunk) in enumerate(chunks):
        rid = str(make_id(seed, ENT[pk.entity], idx + 1))
        day = max(x[0] for x in chunk)
        created = max(day_start(day) + 8 * 3600 + rng.randrange(10 * 3600),
                      max(x[1].created for x in chunk) + 600)  # fmt: skip
        lmt = created if rng.random() < 0.8 else min(GEN_END, created + rng.randrange(9 * 86_400))
        applied: dict[str, tuple[Row, float, float]] = {}
        for _when, doc, lo, hi in chunk:  # one invoice twice in a chunk: one line
            first = applied.get(doc.id, (doc, lo, hi))[1]
            applied[doc.id] = (doc, first, hi)
        lines = []
        for doc, lo, hi in applied.values():
            if doc.id not in totals:  # one render per document: start-up stays cheap
                totals[doc.id] = render(doc, 0.0)["total"]
            total = totals[doc.id]
            amount = round(round(total * hi, 2) - round(total * lo, 2), 2)
            if amount <= 0:
                continue
            ledger[doc.id][rid] = amount
            doc.lmt = max(doc.lmt, created)  # applying a payment edits the document
            serial += 1
            line_id = str(make_id(seed, ENT[pk.line_ent], serial))
            ref = _doc_ref(pk, doc, total, round(total - round(total * hi, 2), 2))
            lines.append(doc_line(pk, line_id, ref, amount))
        mode = rng.choices(PAYMENT_MODES, MODE_WEIGHTS)[0]
        currency = contacts.currencies[party]
        core = (party, mode, _account(pk, mode, currency, rng), _unused(rng, lines, currency),
                _reference(rng, mode), lines)  # fmt: skip
        rows.append(Row(rid, idx, str(idx + 1), created, lmt, day_str(day), mode, "books", core))
    _settle_rows(pk, doc_rows, ledger, totals)
    return rows, ledger


def _account(pk: PayKind, mode: str, currency: str, rng: random.Random) -> int:
    if mode == "cash":
        return CASH_ACCOUNTS[0] if pk.party == "vendor" else rng.choice(CASH_ACCOUNTS)
    return BANK_ACCOUNTS.get(currency, BANK_ACCOUNTS["IQD"])


def _unused(rng: random.Random, lines: list[dict[str, Any]], currency: str) -> float:
    """One payment in ten is rounded up (an advance left unused on the account)."""
    applied = round(sum(x["amount_applied"] for x in lines), 2)
    if rng.random() >= 0.1:
        return 0.0
    step = 100.0 if currency == "USD" else 50_000.0
    return round(-(-applied // step) * step - applied, 2) or step


def _reference(rng: random.Random, mode: str) -> str:
    if mode == "bank transfer":
        return f"TRF-{rng.randint(100000, 999999)}"
    if mode == "check":
        return f"CHQ-{rng.randint(10000, 99999)}"
    return "" if rng.random() < 0.5 else f"RCPT-{rng.randint(1000, 9999)}"


def settle_status(status: str, applied: float, total: float, due_date: str, today: str,
                  waiting: str) -> tuple[str, float]:  # fmt: skip
    """(status, balance) of an invoice or bill given what payments applied to it: draft and
    void documents carry no payments; the rest are paid, partially paid, or waiting (overdue
    once past the due date)."""
    if status in ("draft", "void"):
        return status, (0.0 if status == "void" else total)
    balance = round(total - applied, 2)
    if applied > 0:
        return ("paid" if balance <= 0 else "partially_paid"), max(balance, 0.0)
    if status in ("paid", "partially_paid"):
        status = "overdue" if due_date < today else waiting
    return status, balance


def _settle_rows(pk: PayKind, doc_rows: list[Row], ledger: Ledger,
                 totals: dict[str, float]) -> None:  # fmt: skip
    """Generated documents' statuses from what was applied (before their indexes exist)."""
    today = day_str(DOC_LAST_DAY)
    for row in doc_rows:
        if row.status not in ("paid", "partially_paid"):
            continue
        paid = round(sum(ledger.get(row.id, {}).values()), 2)
        # unpaid after all: waiting, or overdue past its due date
        due = day_str(_day(row.date) + row.core[1])
        row.status = settle_status(row.status, paid, totals.get(row.id, 0.0), due, today,
                                   pk.waiting)[0]  # fmt: skip


def render_payment(seed: int, pk: PayKind, row: Row, contacts: ContactCatalog) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    party, mode, account, unused, reference, lines = row.core
    currency = contacts.currencies[party]
    applied = round(sum(x["amount_applied"] for x in lines), 2)
    acc_id, acc_name = account_ref(seed, account)
    rec: dict[str, Any] = {
        "payment_id": row.id, "payment_number": row.name, "date": row.date,
        "payment_mode": mode, "amount": round(applied + unused, 2),
    }  # fmt: skip
    if pk.party == "customer":
        rec["unused_amount"] = unused
    else:
        rec["balance"] = unused
    rec.update({
        f"{pk.party}_id": contacts.ids[party], f"{pk.party}_name": contacts.names[party],
        "reference_number": reference, "currency_id": currency_id(seed, currency),
        "currency_code": currency, "exchange_rate": USD_PER_IQD if currency == "USD" else 1.0,
    })  # fmt: skip
    if pk.party == "customer":
        rec.update(account_id=acc_id, account_name=acc_name)
    else:
        rec.update(paid_through_account_id=acc_id, paid_through_account_name=acc_name)
    numbers = ", ".join(x.get("invoice_number") or x.get("bill_number", "") for x in lines)
    rec.update({
        "description": f"Payment for {numbers}" if numbers else "Advance payment",
        pk.lines_key: [dict(x) for x in lines],
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    })  # fmt: skip
    return rec


def payment_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_KEYS}
