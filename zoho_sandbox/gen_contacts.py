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

DETAIL_ONLY_CONTACT_KEYS = (
    "billing_address",
    "shipping_address",
    "contact_persons",
    "notes",
    "custom_fields",
)
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


def contact_core(
    rng: random.Random, is_vendor: bool, seen: set[str] | None, pricebooks: tuple[str, str]
) -> tuple[str, tuple]:
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
    return name, (
        "vendor" if is_vendor else "customer",
        currency,
        pricebook,
        city,
        terms,
        first,
        last,
    )


def generate_contacts(
    seed: int, n_customers: int, n_vendors: int, pricebooks: tuple[str, str]
) -> tuple[list[Row], ContactCatalog]:
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


# vendors sit abroad: the city their name starts with -> (country, phone prefix)
ABROAD = {
    "Guangzhou": ("China", "+86"),
    "Shenzhen": ("China", "+86"),
    "Ningbo": ("China", "+86"),
    "Foshan": ("China", "+86"),
    "Dubai": ("United Arab Emirates", "+971"),
    "Jebel Ali": ("United Arab Emirates", "+971"),
    "Istanbul": ("Turkey", "+90"),
    "Izmir": ("Turkey", "+90"),
    "Amman": ("Jordan", "+962"),
    "Tehran": ("Iran", "+98"),
}
DESIGNATIONS = ("Owner", "Purchasing Manager", "Accountant", "Sales Manager", "Store Manager")


def _where(name: str, ctype: str, city: str) -> tuple[str, str, str, str]:
    """(city, state, country, phone prefix) of a contact's addresses."""
    abroad = next((c for c in ABROAD if name.startswith(c)), None) if ctype == "vendor" else None
    if abroad is not None:
        return abroad, abroad, ABROAD[abroad][0], ABROAD[abroad][1]
    return city, GOVERNORATES.get(city, city), "Iraq", "+964"


def _phone(rng: random.Random, prefix: str) -> str:
    number = rng.randint(700000000, 909999999)
    return f"{prefix} 7{number}" if prefix == "+964" else f"{prefix} {number}"


def _address(rng: random.Random, address_id: str, where: tuple[str, str, str, str],
             attention: str, phone: str) -> dict[str, str]:  # fmt: skip
    city, state, country, _prefix = where
    return {"address_id": address_id, "attention": attention,
            "address": f"{rng.choice(DISTRICTS)}, Building {rng.randint(1, 90)}",
            "street2": "" if rng.random() < 0.7 else f"Floor {rng.randint(1, 6)}",
            "city": city, "state": state, "zip": "" if country == "Iraq" else
            str(rng.randint(10000, 99999)), "country": country, "phone": phone}  # fmt: skip


def _person(seed: int, rng: random.Random, idx: int, k: int, first: str, last: str,
            prefix: str) -> dict[str, Any]:  # fmt: skip
    email = f"{first.lower()}.{last.lower().replace('-', '')}{idx}{k or ''}@example.iq"
    phone = _phone(rng, prefix)
    return {"contact_person_id": str(make_id(seed, ENT["persons"], idx * 4 + k + 1)),
            "first_name": first, "last_name": last, "email": email, "phone": phone,
            "mobile": _phone(rng, prefix) if k else phone,
            "designation": DESIGNATIONS[0] if k == 0 else rng.choice(DESIGNATIONS[1:]),
            "is_primary_contact": k == 0}  # fmt: skip


def render_contact(seed: int, row: Row, pricebook_names: dict[str, str],
                   owner: tuple[str, str] = ("", "")) -> dict[str, Any]:  # fmt: skip
    """The contact; `owner`: (user id, name) of its salesperson (purchasing, for vendors)."""
    if row.rec is not None:
        return row.rec
    ctype, currency, pricebook, city, terms, first, last = row.core
    rng = rng_for(seed, ENT["contacts"], row.idx)
    where = _where(row.name, ctype, city)
    phone = _phone(rng, where[3])
    email = f"{first.lower()}.{last.lower().replace('-', '')}{row.idx}@example.iq"
    days, label = PAYMENT_TERMS[terms]
    individual = row.name == f"{first} {last}"
    persons = [_person(seed, rng, row.idx, 0, first, last, where[3])]
    persons[0].update(email=email, phone=phone, mobile=phone)
    for k in range(1, 1 if individual else rng.choice((1, 1, 2, 3))):
        persons.append(_person(seed, rng, row.idx, k, rng.choice(FIRST_NAMES),
                               rng.choice(LAST_NAMES), where[3]))  # fmt: skip
    address_ids = [str(make_id(seed, ENT["addresses"], row.idx * 2 + k)) for k in (1, 2)]
    billing = _address(rng, address_ids[0], where, f"{first} {last}", phone)
    shipping = ({**billing, "address_id": address_ids[1]} if rng.random() < 0.6 else
                _address(rng, address_ids[1], where, persons[-1]["first_name"] + " " +
                         persons[-1]["last_name"], persons[-1]["mobile"]))  # fmt: skip
    return {
        "contact_id": row.id, "contact_name": row.name, "company_name": row.name,
        "contact_type": ctype,
        "customer_sub_type": "individual" if individual else "business",
        "status": row.status, "first_name": first, "last_name": last, "email": email,
        "phone": phone, "mobile": phone, "website": "",
        "currency_id": currency_id(seed, currency), "currency_code": currency,
        "pricebook_id": pricebook, "pricebook_name": pricebook_names.get(pricebook, ""),
        "payment_terms": days, "payment_terms_label": label,
        "owner_id": owner[0], "owner_name": owner[1],
        "outstanding_receivable_amount": "" if ctype == "vendor" else 0.0,
        "outstanding_payable_amount": 0.0 if ctype == "vendor" else "",
        "billing_address": billing, "shipping_address": shipping, "contact_persons": persons,
        "notes": "", "custom_fields": [], "custom_field_hash": {},
        "created_time": fmt_ts(row.created), "last_modified_time": fmt_ts(row.lmt),
    }  # fmt: skip


def edit_contact(rng: random.Random, rec: dict[str, Any]) -> None:
    """A contact edited without fields: a new phone (its primary person's and billing
    address's too) and a new shipping address line. Nested objects are copied, never shared
    with the version before."""
    prefix = rec["phone"].split()[0] if rec.get("phone") else "+964"
    phone = _phone(rng, prefix)
    rec["phone"] = rec["mobile"] = phone
    persons = [dict(p) for p in rec.get("contact_persons") or []]
    for person in persons:
        if person.get("is_primary_contact"):
            person["phone"] = person["mobile"] = phone
    rec["contact_persons"] = persons
    rec["billing_address"] = {**(rec.get("billing_address") or {}), "phone": phone}
    rec["shipping_address"] = {
        **(rec.get("shipping_address") or {}),
        "address": f"{rng.choice(DISTRICTS)}, Building {rng.randint(1, 90)}",
    }


def contact_summary(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in DETAIL_ONLY_CONTACT_KEYS}
