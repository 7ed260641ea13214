"""Contacts: customers (shops across Iraq) and vendors (importers' suppliers abroad)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .catalog import (
    CITIES,
    DISTRICTS,
    FIRST_NAMES,
    GOVERNORATES,
    LAST_NAMES,
    PAYMENT_TERMS,
    SHOP_KINDS,
    SHOP_WORDS,
    VENDOR_KINDS,
    VENDOR_NAMES,
)
from .clock import EPOCH0, GEN_END, fmt_ts, make_id, rng_for
from .specs import ENT
from .store import Row

DETAIL_ONLY_CONTACT_KEYS = ("billing_address", "shipping_address", "contact_persons", "notes",
                            "custom_fields")
USD_PER_IQD = 1310.0  # exchange rate stored on USD documents (base currency IQD)


@dataclass
class ContactCatalog:
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    customers: int = 0
    vendors: int = 0


def currency_id(seed: int, code: str) -> str:
    return str(make_id(seed, ENT["currencies"], 1 if code == "IQD" else 2))


def contact_core(rng: random.Random, is_vendor: bool, seen: set[str] | None,
                 pricebooks: tuple[str, str]) -> tuple[str, tuple]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city = rng.choice(CITIES)
    if is_vendor:
        name = f"{rng.choice(VENDOR_NAMES)} {rng.choice(VENDOR_KINDS)}"
        currency = "USD" if rng.random() < 0.8 else "IQD"
    elif rng.random() < 0.2:
        name = f"{first} {last}"
        currency = "IQD"
    else:
        name = f"{rng.choice(SHOP_WORDS)} {rng.choice(SHOP_KINDS)} - {city}"
        currency = "IQD" if rng.random() < 0.85 else "USD"
    n = 2
    base = name
    while seen is not None and name in seen:
        name = f"{base} {n}"
        n += 1
    if seen is not None:
        seen.add(name)
    pricebook = ""
    if not is_vendor and rng.random() < 0.4:
        pricebook = pricebooks[0] if currency == "IQD" else pricebooks[1]
    terms = rng.randrange(len(PAYMENT_TERMS))
    return name, ("vendor" if is_vendor else "customer", currency, pricebook, city, terms,
                  first, last)


def generate_contacts(seed: int, n_customers: int, n_vendors: int,
                      pricebooks: tuple[str, str]) -> tuple[list[Row], ContactCatalog]:
    rng = random.Random(f"{seed}:contacts")
    seen: set[str] = set()
    rows: list[Row] = []
    cat = ContactCatalog(customers=n_customers, vendors=n_vendors)
    for idx in range(n_customers + n_vendors):
        name, core = contact_core(rng, idx >= n_customers, seen, pricebooks)
        status = "inactive" if rng.random() < 0.05 else "active"
        created = EPOCH0 + rng.randrange(GEN_END - EPOCH0 - 86_400 * 30)
        lmt = created if rng.random() < 0.4 else rng.randint(created, GEN_END)
        cid = str(make_id(seed, ENT["contacts"], idx + 1))
        rows.append(Row(cid, idx, name, created, lmt, "", status, "books", core))
        cat.ids.append(cid)
        cat.names.append(name)
        cat.currencies.append(core[1])
    return rows, cat


def _address(rng: random.Random, city: str) -> dict[str, str]:
    return {"attention": "", "address": f"{rng.choice(DISTRICTS)}, Building {rng.randint(1, 90)}",
            "street2": "", "city": city, "state": GOVERNORATES.get(city, city), "zip": "",
            "country": "Iraq", "phone": f"+964 7{rng.randint(700000000, 909999999)}"}


def render_contact(seed: int, row: Row, pricebook_names: dict[str, str]) -> dict[str, Any]:
    if row.rec is not None:
        return row.rec
    ctype, currency, pricebook, city, terms, first, last = row.core
    rng = rng_for(seed, ENT["contacts"], row.idx)
    phone = f"+964 7{rng.randint(700000000, 909999999)}"
    email = f"{first.lower()}.{last.lower().replace('-', '')}{row.idx}@example.iq"
    address = _address(rng, city)
    days, label = PAYMENT_TERMS[terms]
    return {
        "contact_id": row.id, "contact_name": row.name, "company_name": row.name,
        "contact_type": ctype,
        "customer_sub_type": "individual" if row.name == f"{first} {last}" else "business",
        "status": row.status, "first_name": first, "last_name": last, "email": email,
        "phone": phone, "mobile": phone, "website": "",
        "currency_id": currency_id(seed, currency), "currency_code": currency,
        "pricebook_id": pricebook, "pricebook_name": pricebook_names.get(pricebook, ""),
        "payment_terms": days, "payment_terms_label": label,
        "outstanding_receivable_amount": "" if ctype == "vendor" else 0.0,
        "outstanding_payable_amount": 0.0 if ctype == "vendor" else "",
        "billing_address": address, "shipping_address": dict(address),
        "contact_persons": [{"contact_person_id": str(make_id(seed, ENT["persons"], row.idx + 1)),
                             "first_name": first, "last_name": last, "email": email,
                             "phone": phone, "is_primary_contact": True}],
        "notes": "", "custom_fields": [], "custom_field_hash": {},
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    }


def contact_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_CONTACT_KEYS}
