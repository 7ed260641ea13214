"""Writes through Zoho's API, as Books takes them: contacts, sales orders, invoices and
customer payments created (`POST`), contacts and documents edited (`PUT`), documents voided
(`POST .../{id}/status/void`).

A body is JSON, or a form field `JSONString=<json>`. It is checked before anything changes
(400 with Zoho's code and a message naming the field), then applied through the control API's
mutations, so stamps, stock moves and webhooks behave exactly as there. Listings filter on
`reference_number` (invoices, sales orders) and `email` / `phone` (contacts), which is how a
client finds a write whose answer it never got. Chaos's `ambiguous_writes` makes a write save
and then answer 500 (after `ambiguous_delay_ms`): the moment exactly-once is about.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from weakref import WeakKeyDictionary

from .clock import make_id, parse_date
from .errors import Answer, error, invalid_url, not_found
from .gen_contacts import USD_PER_IQD
from .mutations import Change, MutationError
from .specs import ENT, SPECS
from .store import EntityStore, Row

if TYPE_CHECKING:
    from .state import Sandbox

DOCUMENTS = ("salesorders", "invoices")
CREATED = {"contacts": "The contact has been added.",
           "salesorders": "Sales Order has been created.",
           "invoices": "The invoice has been created.",
           "customerpayments": "The payment has been made."}  # fmt: skip
# Filters a client needs to find what it wrote: exact, case-insensitive for email.
FILTERS = {"invoices": ("reference_number",), "salesorders": ("reference_number",),
           "customerpayments": ("reference_number",), "contacts": ("email", "phone")}  # fmt: skip
_refs: WeakKeyDictionary[EntityStore, dict[str, dict[str, str]]] = WeakKeyDictionary()


class WriteError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.answer: Answer = error(status, code, message)


def invalid(field: str) -> WriteError:
    return WriteError(400, 2, f"Invalid value passed for {field}")


def parse_body(raw: bytes) -> dict[str, Any]:
    text = raw.decode(errors="replace").strip()
    if text and not text.startswith("{"):
        text = dict(parse_qsl(text)).get("JSONString", "")
    try:
        body = json.loads(text)
    except ValueError:
        raise WriteError(400, 4, "Invalid value passed for JSONString") from None
    if not isinstance(body, dict):
        raise WriteError(400, 4, "Invalid value passed for JSONString")
    return body


async def handle(sb: Sandbox, api: str, method: str, path: str, raw: bytes) -> Answer:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return invalid_url()
    if api != "books" or parts[0] not in CREATED:
        return error(405, 37, f"This sandbox takes no {method} on {api} {'/'.join(parts)}.")
    try:
        body = parse_body(raw) if raw.strip() else {}
        if method == "POST" and len(parts) == 1:
            answer = _create(sb, parts[0], body)
        elif method == "PUT" and len(parts) == 2 and parts[0] != "customerpayments":
            answer = _update(sb, parts[0], parts[1], body)
        elif method == "POST" and len(parts) == 4 and parts[2:] == ["status", "void"] \
                and parts[0] in DOCUMENTS:  # fmt: skip
            answer = _void(sb, parts[0], parts[1])
        else:
            return error(405, 37, f"{method} is not allowed on {'/'.join(parts)}.")
    except WriteError as exc:
        return exc.answer
    except MutationError as exc:
        return error(400, 2, str(exc))
    if await sb.chaos.ambiguous_write():
        return error(500, 500, "Internal Server Error")  # saved all the same
    return answer


# -- create -------------------------------------------------------------------------------
def _create(sb: Sandbox, entity: str, body: dict[str, Any]) -> Answer:
    if entity == "contacts":
        name = body.get("contact_name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("contact_name")
        fields = {k: v for k, v in body.items() if k != "contact_id"}
        fields.setdefault("contact_type", "customer")
        persons = fields.get("contact_persons")
        if persons is not None and (not isinstance(persons, list)
                                    or not all(isinstance(p, dict) for p in persons)):  # fmt: skip
            raise invalid("contact_persons")
        fields["contact_persons"] = [{**p, "contact_person_id": _new_id(sb, "persons")}
                                     for p in persons or []]  # fmt: skip
        row, record = _mutate(sb, entity, "create", fields)
        return 201, {"code": 0, "message": CREATED[entity], "contact": record}
    if entity == "customerpayments":
        return _payment(sb, body)
    customer = _customer(sb, body.get("customer_id"))
    lines = _lines(sb, body.get("line_items"))
    if "date" in body and (not isinstance(body["date"], str) or not parse_date(body["date"])):
        raise invalid("date")
    usd = customer["currency_code"] == "USD"
    fields = {k: v for k, v in body.items() if k not in ("line_items", "status")}
    fields.update(
        customer_id=customer["contact_id"], customer_name=customer["contact_name"],
        currency_code=customer["currency_code"], currency_id=customer["currency_id"],
        exchange_rate=USD_PER_IQD if usd else 1.0,
        line_items=[{"item_id": x["item_id"], "quantity": x["quantity"],
                     **({"warehouse_id": x["warehouse_id"]} if x.get("warehouse_id") else {})}
                    for x in lines],
    )  # fmt: skip
    row, _ = _mutate(sb, entity, "create", fields, after=lambda rec: _priced(sb, rec, lines))
    record = sb.world.published(entity, row)
    return 201, {"code": 0, "message": CREATED[entity], SPECS[entity].record_key: record}


def _priced(sb: Sandbox, rec: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """The rates the body names (Zoho takes them as given), totals and balance to match."""
    for line, given in zip(rec["line_items"], lines, strict=True):
        if given.get("rate") is not None:
            line["rate"] = float(given["rate"])
            line["item_total"] = round(line["rate"] * line["quantity"], 2)
    sb.mutator._retotal("invoices" if "invoice_id" in rec else "salesorders", rec)
    if "invoice_id" in rec:
        rec["balance"] = rec["total"]  # no payment applies to a new invoice yet


def _new_id(sb: Sandbox, namespace: str) -> str:
    sb.mutator.line_serial += 1
    return str(make_id(sb.world.seed, ENT[namespace], 900_000_000_000 + sb.mutator.line_serial))


def _customer(sb: Sandbox, value: Any) -> dict[str, Any]:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).isdigit():
        raise invalid("customer_id")
    row = sb.world.stores["contacts"].get(str(value))
    if row is None:
        raise WriteError(400, 1002, f"Customer {value} does not exist.")
    contact = sb.world.detail("contacts", row)
    if contact.get("contact_type") != "customer":
        raise WriteError(400, 2, f"Contact {value} is not a customer.")
    return contact


def _lines(sb: Sandbox, lines: Any) -> list[dict[str, Any]]:
    if not isinstance(lines, list) or not lines or not all(isinstance(x, dict) for x in lines):
        raise invalid("line_items")
    items = sb.world.stores["items"]
    for line in lines:
        row = items.get(str(line.get("item_id", "")))
        if row is None or row.source != "books":
            raise WriteError(400, 1002, f"Item {line.get('item_id')} does not exist.")
        if row.status != "active":
            raise WriteError(400, 2, f"Item {line.get('item_id')} is inactive.")
        qty = line.get("quantity")
        if isinstance(qty, bool) or not isinstance(qty, int | float) or qty <= 0 or qty != int(qty):
            raise invalid("quantity")
        rate = line.get("rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                                 or rate < 0):  # fmt: skip
            raise invalid("rate")
    return [{**x, "item_id": str(x["item_id"])} for x in lines]


# -- edit, void, pay ----------------------------------------------------------------------
def _update(sb: Sandbox, entity: str, rid: str, body: dict[str, Any]) -> Answer:
    row = sb.world.stores[entity].get(rid)
    if row is None:
        return not_found(SPECS[entity].label)
    current = sb.world.detail(entity, row)
    fields = {k: v for k, v in body.items() if not k.endswith("_id")}
    if entity in DOCUMENTS:
        fields.setdefault("reference_number", current.get("reference_number"))
        fields.pop("line_items", None)  # lines are edited through the UI in this sandbox
    _, record = _mutate(sb, entity, "update", fields, row=row)
    return 200, {"code": 0, "message": f"{SPECS[entity].label} has been updated.",
                 SPECS[entity].record_key: record}  # fmt: skip


def _void(sb: Sandbox, entity: str, rid: str) -> Answer:
    row = sb.world.stores[entity].get(rid)
    if row is None:
        return not_found(SPECS[entity].label)
    current = sb.world.detail(entity, row)
    if current.get("status") == "void":
        raise WriteError(400, 2, f"{SPECS[entity].label} is already void.")
    fields: dict[str, Any] = {"status": "void", "reference_number": current.get("reference_number")}
    if entity == "invoices":
        fields["balance"] = 0.0
    _mutate(sb, entity, "update", fields, row=row)
    return 200, {"code": 0, "message": f"{SPECS[entity].label} status has been changed to Void."}


def _payment(sb: Sandbox, body: dict[str, Any]) -> Answer:
    """A customer payment applied to invoices: the control API's payment mutation, which
    moves their balances and statuses (gen_payments.py's ledger)."""
    customer = _customer(sb, body.get("customer_id"))
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        raise invalid("amount")
    applied = body.get("invoices")
    if not isinstance(applied, list) or not applied or not all(isinstance(x, dict)
                                                               for x in applied):  # fmt: skip
        raise invalid("invoices")
    for entry in applied:
        row = sb.world.stores["invoices"].get(str(entry.get("invoice_id", "")))
        if row is None:
            raise WriteError(400, 1002, "Invoice does not exist.")
        if sb.world.detail("invoices", row).get("customer_id") != customer["contact_id"]:
            raise WriteError(400, 2, f"Invoice {row.id} is another customer's.")
    fields = {k: body[k] for k in ("amount", "payment_mode", "date", "reference_number",
                                   "description") if k in body}  # fmt: skip
    fields["invoices"] = [{"invoice_id": str(x["invoice_id"]),
                           **({"amount_applied": x["amount_applied"]}
                              if "amount_applied" in x else {})} for x in applied]  # fmt: skip
    _, record = _mutate(sb, "customerpayments", "create", fields)
    return 201, {"code": 0, "message": CREATED["customerpayments"], "payment": record}


def _mutate(
    sb: Sandbox,
    entity: str,
    action: str,
    fields: dict[str, Any],
    row: Row | None = None,
    after: Any = None,
) -> tuple[Row, dict[str, Any]]:
    """One change through the control API's mutations (stamp, stock, webhooks); `after`
    finishes the record before its webhook is built."""
    body: dict[str, Any] = {"entity": entity, "action": action, "fields": fields}
    if row is not None:
        body["ids"] = [row.id]
    result, changes = sb.mutator.apply(body)
    row = sb.world.stores[entity].rows[str(result["records"][0]["id"])]
    if after is not None:
        assert row.rec is not None
        after(row.rec)  # rates and totals only: the quantities that moved stock stand
    record = sb.world.published(entity, row)
    for change in changes:
        if change.entity == entity:
            change = Change(change.entity, change.event, change.record_key, record)
        sb.webhooks.send(change.entity, change.event, change.record_key, change.record)
    return row, record


# -- listing filters ------------------------------------------------------------------------
def narrow(
    world: Any, entity: str, params: Mapping[str, str], rows: list[Row], lo: int, hi: int
) -> tuple[list[Row], int, int]:
    """A listing's rows cut to those matching its `reference_number` (documents) or
    `email` / `phone` (contacts) filter; unchanged without one."""
    wanted = {f: params[f].strip() for f in FILTERS.get(entity, ()) if params.get(f)}
    if not wanted:
        return rows, lo, hi
    store = world.stores[entity]
    cache = _refs.setdefault(store, {})
    kept = [r for r in rows[lo:hi] if _matches(world, entity, r, wanted, cache)]
    return kept, 0, len(kept)


def _matches(
    world: Any, entity: str, row: Row, wanted: dict[str, str], cache: dict[str, dict[str, str]]
) -> bool:
    if row.rec is not None:
        values = {f: str(row.rec.get(f) or "") for f in wanted}
    else:  # a generated record never changes until a mutation materialises it
        values = cache.get(row.id) or {}
        if not all(f in values for f in wanted):
            rec = world.detail(entity, row)
            values = cache[row.id] = {f: str(rec.get(f) or "") for f in FILTERS[entity]}
    return all(values[f].lower() == v.lower() for f, v in wanted.items())
