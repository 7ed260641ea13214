"""Expenses: rent, fuel, shipping and the like, booked to the chart's expense accounts and
paid from cash or the bank, some from a vendor and some billable to a customer."""

from __future__ import annotations

import random
from typing import Any

from .clock import (
    DAY_SECONDS,
    DOC_FIRST_DAY,
    DOC_LAST_DAY,
    GEN_END,
    day_start,
    day_str,
    fmt_ts,  # fmt: skip
    make_id,
)
from .gen_contacts import USD_PER_IQD, ContactCatalog, currency_id
from .gen_settings import ACCOUNTS, BANK_ACCOUNTS, CASH_ACCOUNTS, EXPENSE_ACCOUNTS, account_ref
from .specs import ENT
from .store import Row

AMOUNTS = (25_000, 50_000, 75_000, 120_000, 250_000, 400_000, 750_000, 1_500_000, 3_000_000)


def generate_expenses(seed: int, n: int, contacts: ContactCatalog) -> list[Row]:
    rng = random.Random(f"{seed}:expenses")
    days = sorted(rng.randint(DOC_FIRST_DAY, DOC_LAST_DAY) for _ in range(n))
    rows = []
    for idx, day in enumerate(days):
        core = expense_core(rng, contacts)
        status = core[-1]
        created = day_start(day) + 8 * 3600 + rng.randrange(10 * 3600)
        later = min(GEN_END, created + rng.randrange(30 * DAY_SECONDS))
        lmt = created if rng.random() < 0.75 else later
        rid = str(make_id(seed, ENT["expenses"], idx + 1))
        rows.append(Row(rid, idx, f"EXP-{idx + 1:05d}", created, lmt, day_str(day), status,
                        "books", core[:-1]))  # fmt: skip
    return rows


def expense_core(rng: random.Random, contacts: ContactCatalog) -> tuple:
    """(account, paid through, vendor index or -1, customer index or -1, amount IQD, status)."""
    account = rng.choice(EXPENSE_ACCOUNTS)
    vendor = (contacts.customers + rng.randrange(contacts.vendors)
              if contacts.vendors and rng.random() < 0.35 else -1)  # fmt: skip
    billable = contacts.customers and rng.random() < 0.15
    customer = rng.randrange(contacts.customers) if billable else -1
    if customer >= 0:
        status = "invoiced" if rng.random() < 0.4 else "unbilled"
    else:
        status = "reimbursed" if rng.random() < 0.15 else "nonbillable"
    paid_through = rng.choice(CASH_ACCOUNTS[:1] + (BANK_ACCOUNTS["IQD"],))
    return account, paid_through, vendor, customer, float(rng.choice(AMOUNTS)), status


def render_expense(seed: int, row: Row, contacts: ContactCatalog) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    account, paid_through, vendor, customer, amount = row.core
    currency = contacts.currencies[vendor] if vendor >= 0 else "IQD"
    if currency == "USD":
        amount = round(amount / USD_PER_IQD, 2)
        paid_through = BANK_ACCOUNTS["USD"]
    acc_id, acc_name = account_ref(seed, account)
    through_id, through_name = account_ref(seed, paid_through)
    return {
        "expense_id": row.id, "date": row.date, "account_id": acc_id, "account_name": acc_name,
        "paid_through_account_id": through_id, "paid_through_account_name": through_name,
        "vendor_id": contacts.ids[vendor] if vendor >= 0 else "",
        "vendor_name": contacts.names[vendor] if vendor >= 0 else "",
        "customer_id": contacts.ids[customer] if customer >= 0 else "",
        "customer_name": contacts.names[customer] if customer >= 0 else "",
        "total": amount, "currency_id": currency_id(seed, currency), "currency_code": currency,
        "reference_number": row.name,
        "description": f"{ACCOUNTS[account][0]} ({row.date[:7]})",
        "status": row.status, "is_billable": customer >= 0,
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    }  # fmt: skip
