"""Small settings listings: Books users, taxes, currencies and the chart of accounts.

Fixed tables (the seed only moves the ids), so every document can point at them: contacts'
`owner_id` at a user, line `tax_id` at tax 1, `currency_id` at the currencies (ids equal
`gen_contacts.currency_id`), items' `account_id` / `purchase_account_id` at accounts 1 and 2,
payments and expenses at the cash, bank and expense accounts.
"""

from __future__ import annotations

import random
from typing import Any

from .catalog import SALESPEOPLE
from .clock import EPOCH0, fmt_ts, make_id
from .gen_contacts import USD_PER_IQD
from .specs import ENT
from .store import Row

# (name, email user, role, status); the salespeople own the customers, purchasing the vendors
USERS: tuple[tuple[str, str, str], ...] = (
    ("TSH Administrator", "admin", "active"),
    *((name, "salesperson", "inactive" if n == 4 else "active")
      for n, name in enumerate(SALESPEOPLE)),
    ("Hiba Al-Saadi", "staff", "active"),  # accountant
    ("Bashar Al-Obaidi", "staff", "active"),  # purchasing: owns the vendors
    ("Aya Rasheed", "staff", "invited"),
)  # fmt: skip
ROLES = {"admin": 1, "staff": 2, "salesperson": 3}
SALES_USERS = tuple(n for n, u in enumerate(USERS) if u[1] == "salesperson")
PURCHASING_USER = 7
# (name, percentage, type, default)
TAXES = (("VAT", 5.0, "tax", True), ("Customs Duty", 10.0, "tax", False),
         ("Reconstruction Levy", 2.0, "tax", False),
         ("VAT + Levy", 7.1, "compound_tax", False))  # fmt: skip
# (code, name, symbol, precision, format, rate to IQD)
CURRENCIES = (("IQD", "Iraqi Dinar", "IQD", 0, "###,##0", 1.0),
              ("USD", "US Dollar", "$", 2, "###,##0.00", USD_PER_IQD),
              ("EUR", "Euro", "€", 2, "###,##0.00", 1420.0))  # fmt: skip
# (name, code, type, currency, parent number or 0); numbers 1 and 2 are the items' accounts
ACCOUNTS = (
    ("Sales", "4000", "income", "IQD", 0),
    ("Cost of Goods Sold", "5000", "cost_of_goods_sold", "IQD", 0),
    ("Petty Cash", "1000", "cash", "IQD", 0),
    ("Undeposited Funds", "1010", "cash", "IQD", 0),
    ("Rafidain Bank - IQD", "1100", "bank", "IQD", 0),
    ("Trade Bank of Iraq - USD", "1110", "bank", "USD", 0),
    ("Accounts Receivable", "1200", "accounts_receivable", "IQD", 0),
    ("Accounts Payable", "2000", "accounts_payable", "IQD", 0),
    ("Inventory Asset", "1300", "stock", "IQD", 0),
    ("Owner's Equity", "3000", "equity", "IQD", 0),
    ("Operating Expenses", "6000", "expense", "IQD", 0),
    ("Rent Expense", "6010", "expense", "IQD", 11),
    ("Salaries and Wages", "6020", "expense", "IQD", 11),
    ("Generator Fuel and Electricity", "6030", "expense", "IQD", 11),
    ("Transport and Shipping", "6040", "expense", "IQD", 11),
    ("Customs and Clearance", "6050", "expense", "IQD", 11),
    ("Office Supplies", "6060", "expense", "IQD", 11),
    ("Internet and Telephone", "6070", "expense", "IQD", 11),
    ("Repairs and Maintenance", "6080", "expense", "IQD", 11),
    ("Advertising and Marketing", "6090", "expense", "IQD", 11),
    ("Bank Fees and Charges", "6100", "expense", "IQD", 0),
    ("Meals and Entertainment", "6110", "expense", "IQD", 0),
)
EXPENSE_ACCOUNTS = tuple(n for n, a in enumerate(ACCOUNTS) if a[2] == "expense" and n != 10)
CASH_ACCOUNTS = (2, 3)  # Petty Cash, Undeposited Funds
BANK_ACCOUNTS = {"IQD": 4, "USD": 5}
SETTINGS = ("users", "taxes", "currencies", "chartofaccounts")


def setting_id(seed: int, entity: str, n: int) -> str:
    """The id of the n-th (0-based) record of a settings table."""
    return str(make_id(seed, ENT[entity], n + 1))


def account_ref(seed: int, n: int) -> tuple[str, str]:
    return setting_id(seed, "chartofaccounts", n), ACCOUNTS[n][0]


def user_ref(seed: int, n: int) -> tuple[str, str]:
    return setting_id(seed, "users", n), USERS[n][0]


def generate_settings(seed: int) -> dict[str, list[Row]]:
    """Rows of the four tables; users, taxes and currencies carry no timestamps (Zoho lists
    none), so their rows keep the epoch for the indexes' sake."""
    rng = random.Random(f"{seed}:chartofaccounts")
    out: dict[str, list[Row]] = {}
    for entity, table in (("users", USERS), ("taxes", TAXES), ("currencies", CURRENCIES)):
        out[entity] = [
            Row(setting_id(seed, entity, n), n, rec[0], EPOCH0, EPOCH0, "",
                rec[2] if entity == "users" else "active", "books", rec)
            for n, rec in enumerate(table)
        ]  # fmt: skip
    out["chartofaccounts"] = []
    for n, acc in enumerate(ACCOUNTS):
        created = EPOCH0 + 3600 * (n + 1)
        lmt = created if rng.random() < 0.7 else created + rng.randrange(400 * 86_400)
        out["chartofaccounts"].append(Row(setting_id(seed, "chartofaccounts", n), n, acc[0],
                                          created, lmt, "", "active", "books", acc))  # fmt: skip
    return out


def render_setting(seed: int, entity: str, row: Row) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    c = row.core
    if entity == "users":
        login = "admin" if c[1] == "admin" else _login(c[0])
        role_id = str(make_id(seed, ENT["roles"], ROLES[c[1]]))
        return {"user_id": row.id, "name": c[0], "email": f"{login}@tsh-iq.example",
                "user_role": c[1], "role_id": role_id, "status": row.status}  # fmt: skip
    if entity == "taxes":
        return {"tax_id": row.id, "tax_name": c[0], "tax_percentage": c[1], "tax_type": c[2],
                "is_default_tax": c[3], "is_editable": True}  # fmt: skip
    if entity == "currencies":
        return {"currency_id": row.id, "currency_code": c[0], "currency_name": c[1],
                "currency_symbol": c[2], "price_precision": c[3], "currency_format": c[4],
                "is_base_currency": c[0] == "IQD", "exchange_rate": c[5]}  # fmt: skip
    parent = setting_id(seed, entity, c[4] - 1) if c[4] else ""
    return {"account_id": row.id, "account_name": c[0], "account_code": c[1],
            "account_type": c[2], "is_active": row.status == "active", "currency_code": c[3],
            "description": f"{c[0]} ({c[2].replace('_', ' ')})", "parent_account_id": parent,
            "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt)}  # fmt: skip


def _login(name: str) -> str:
    return ".".join(name.lower().replace("-", "").split()[:2])


def new_setting(seed: int, entity: str, rid: str, idx: int, t: int, rng: random.Random) -> Row:
    """A record created through `/_sandbox/mutate` (fields are applied afterwards)."""
    if entity == "users":
        core: tuple = (f"Staff Member {idx + 1}", "staff", "invited")
    elif entity == "taxes":
        core = (f"Tax {idx + 1}", float(rng.choice((1, 3, 8, 15))), "tax", False)
    elif entity == "currencies":
        core = (f"X{idx:02d}"[:3], f"Currency {idx + 1}", "¤", 2, "###,##0.00", 1000.0)
    else:
        core = (f"Expense Account {idx + 1}", f"7{idx:03d}", "expense", "IQD", 11)
    status = "invited" if entity == "users" else "active"
    return Row(rid, idx, core[0], t, t, "", status, "books", core)


def edit_setting(rng: random.Random, entity: str, rec: dict[str, Any]) -> None:
    """A visible change when `/_sandbox/mutate` gives no fields."""
    if entity == "users":
        rec["status"] = "inactive" if rec["status"] == "active" else "active"
    elif entity == "taxes":
        rec["tax_percentage"] = float(rec["tax_percentage"]) + 1.0
    elif entity == "currencies":
        rec["exchange_rate"] = round(float(rec["exchange_rate"]) * rng.uniform(0.98, 1.02), 2)
        if rec["is_base_currency"]:  # the base rate stays 1: its format changes instead
            rec["exchange_rate"] = 1.0
            wide = rec["currency_format"] == "###,##0"
            rec["currency_format"] = "###,###,##0" if wide else "###,##0"
    else:
        rec["description"] = f"{rec.get('description', '')} (revised)".strip()


def in_use(entity: str, row: Row) -> bool:
    """Generated settings records are in use (by documents, contacts or payments): Zoho
    refuses to delete those; records created through the control API can go."""
    sizes = {"users": USERS, "taxes": TAXES, "currencies": CURRENCIES, "chartofaccounts": ACCOUNTS}
    return row.idx < len(sizes[entity])


def contact_owner(seed: int, contact_type: str, idx: int) -> tuple[str, str]:
    """(user id, name) owning a contact: the customers' salesperson (one of them inactive
    now, as in a real organisation), purchasing for the vendors."""
    n = PURCHASING_USER if contact_type == "vendor" else SALES_USERS[idx % len(SALES_USERS)]
    return user_ref(seed, n)
