"""Issue 24's modules changing: `/_sandbox/mutate` per module with its webhook route (or
none), payments re-applied to invoices, releases when an invoice goes, settings in use, the
switches payments_modified_filter, contact_type_filter and vendors_route, and chaos."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, Zoho, assert_zoho_error, wait_for

ROUTED = [  # entity, route, record key, id key
    ("customerpayments", "payments", "payment", "payment_id"),
    ("vendorpayments", "vendor-payments", "vendorpayment", "payment_id"),
    ("purchaseorders", "purchase-orders", "purchaseorder", "purchaseorder_id"),
    ("estimates", "estimates", "estimate", "estimate_id"),
    ("vendorcredits", "vendor-credits", "vendor_credit", "vendor_credit_id"),
]
SILENT = [("expenses", "expense_id"), ("users", "user_id"), ("taxes", "tax_id"),
          ("currencies", "currency_id"), ("chartofaccounts", "account_id")]  # fmt: skip
GENERATED_END = "2026-06-30T23:59:59+0300"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def hooked(receiver: Sink) -> Iterator[Any]:
    from zoho_sandbox.process import SandboxProcess

    with SandboxProcess(**SMALL, no_limits=True, webhook_url=receiver.url,
                        webhook_backoff=0.05) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(hooked: Any, receiver: Sink) -> Any:
    hooked.reset()
    receiver.clear()
    return hooked


@pytest.fixture
def zoho(sb: Any) -> Zoho:
    client = Zoho(sb.url)  # after the reset, which forgets tokens
    client.login()
    return client


def _settled(sb: Any) -> None:
    wait_for(lambda: sb.stats()["webhooks"]["pending"] == 0)


@pytest.mark.parametrize(("entity", "route", "record_key", "id_key"), ROUTED)
def test_mutations_fire_the_module_route(
    sb: Any, receiver: Sink, entity: str, route: str, record_key: str, id_key: str
) -> None:
    created = sb.mutate(entity, "create")["records"][0]["id"]
    sb.mutate(entity, "update", ids=[created])
    sb.mutate(entity, "delete", ids=[created])
    hooks = wait_for(lambda: len(got := receiver.delivered(f"/hooks/{route}?")) == 3 and got)
    # deliveries run concurrently: they may arrive in any order
    assert sorted(h["path"].split("event=")[1].split("&")[0] for h in hooks) == [
        "created",
        "deleted",
        "edited",
    ]
    assert all(h["body"][record_key][id_key] == created for h in hooks)
    assert created not in {r[id_key] for r in sb.records(entity)}


@pytest.mark.parametrize(("entity", "id_key"), SILENT)
def test_modules_without_workflow_rules_send_nothing(
    sb: Any, zoho: Zoho, receiver: Sink, entity: str, id_key: str
) -> None:
    created = sb.mutate(entity, "create")["records"][0]["id"]
    sb.mutate(entity, "update", ids=[created])
    assert created in {r[id_key] for r in sb.records(entity)}
    sb.mutate(entity, "delete", ids=[created])
    _settled(sb)
    assert receiver.received == []
    if entity == "expenses":
        return
    kept = sb.records(entity)[0]  # generated settings records are in use
    body = {"entity": entity, "action": "delete", "ids": [kept[id_key]]}
    resp = httpx.post(f"{sb.url}/_sandbox/mutate", json=body)
    assert resp.status_code == 400 and "in use" in resp.json()["error"]


def _open_invoice(sb: Any) -> dict[str, Any]:
    return next(i for i in sb.records("invoices") if i["status"] in ("sent", "overdue"))


def test_a_payment_moves_its_invoices(sb: Any, zoho: Zoho, receiver: Sink) -> None:
    inv = _open_invoice(sb)
    part = round(inv["total"] / 4, 2)
    lines = [{"invoice_id": inv["invoice_id"], "amount_applied": part}]
    fields = {"invoices": lines, "amount": part + 1000}
    pid = sb.mutate("customerpayments", "create", fields=fields)["records"][0]["id"]
    pay = zoho.ok(f"/books/v3/customerpayments/{pid}")["payment"]
    assert pay["customer_id"] == inv["customer_id"] and pay["unused_amount"] == 1000
    assert pay["invoices"][0]["balance_amount"] == pytest.approx(inv["total"] - part)
    after = zoho.ok(f"/books/v3/invoices/{inv['invoice_id']}")["invoice"]
    assert after["status"] == "partially_paid"
    assert after["balance"] == pytest.approx(inv["total"] - part)
    assert after["last_modified_time"] > GENERATED_END  # applying a payment edits the invoice
    paid = sb.mutate("customerpayments", "update", ids=[pid],
                     fields={"invoices": [{"invoice_id": inv["invoice_id"]}]})  # fmt: skip
    assert paid["records"][0]["id"] == pid
    after = zoho.ok(f"/books/v3/invoices/{inv['invoice_id']}")["invoice"]
    assert after["status"] == "paid" and after["balance"] == 0
    sb.mutate("customerpayments", "delete", ids=[pid])
    after = zoho.ok(f"/books/v3/invoices/{inv['invoice_id']}")["invoice"]
    assert after["status"] in ("sent", "overdue") and after["balance"] == inv["total"]
    too_much = [{"invoice_id": inv["invoice_id"], "amount_applied": inv["total"] + 1}]
    body = {"entity": "customerpayments", "action": "create", "fields": {"invoices": too_much}}
    resp = httpx.post(f"{sb.url}/_sandbox/mutate", json=body)
    assert resp.status_code == 400
    assert len(sb.records("customerpayments")) == SMALL["customer_payments"]


def test_an_invoice_deleted_releases_its_payments(sb: Any, zoho: Zoho, receiver: Sink) -> None:
    pay = next(p for p in sb.records("customerpayments") if p["invoices"])
    gone = pay["invoices"][0]
    sb.mutate("invoices", "delete", ids=[gone["invoice_id"]])
    after = zoho.ok(f"/books/v3/customerpayments/{pay['payment_id']}")["payment"]
    assert gone["invoice_id"] not in {x["invoice_id"] for x in after["invoices"]}
    assert after["amount"] == pay["amount"]
    assert after["unused_amount"] == pytest.approx(pay["unused_amount"] + gone["amount_applied"])
    hook = wait_for(lambda: receiver.delivered("/hooks/payments?event=edited"))[0]
    assert hook["body"]["payment"]["payment_id"] == pay["payment_id"]


def test_payments_filter_switch(sb: Any, zoho: Zoho) -> None:
    total = len(sb.records("customerpayments"))
    late = {"last_modified_time": "2030-01-01T00:00:00+0300"}
    assert zoho.ok("/books/v3/customerpayments", **late)["customerpayments"] == []
    sb.switches(payments_modified_filter="ignored")
    for path, key, n in (("customerpayments", "customerpayments", total),
                         ("vendorpayments", "vendorpayments", SMALL["vendor_payments"]),
                         ("expenses", "expenses", SMALL["expenses"])):  # fmt: skip
        assert len(zoho.ok(f"/books/v3/{path}", **late)[key]) == n
    assert zoho.ok("/books/v3/invoices", **late)["invoices"] == []  # invoices keep the filter
    sb.switches(payments_modified_filter="refused")
    for path in ("customerpayments", "vendorpayments", "expenses"):
        assert_zoho_error(zoho.get(f"/books/v3/{path}", **late), 400, 2,
                          "Invalid value passed for last_modified_time")  # fmt: skip
    assert len(zoho.ok("/books/v3/customerpayments")["customerpayments"]) == total
    bad = httpx.post(f"{sb.url}/_sandbox/switches", json={"payments_modified_filter": "maybe"})
    assert bad.status_code == 400 and sb.switches()["payments_modified_filter"] == "refused"


def test_contact_type_filter_switch(sb: Any, zoho: Zoho) -> None:
    assert len(zoho.ok("/books/v3/contacts", contact_type="vendor")["contacts"]) == SMALL["vendors"]
    sb.switches(contact_type_filter="ignored")
    both = zoho.ok("/books/v3/contacts", contact_type="vendor")["contacts"]
    assert len(both) == SMALL["vendors"] + SMALL["customers"]


def test_vendors_route_switch(sb: Any, receiver: Sink) -> None:
    vendor = next(c for c in sb.records("contacts") if c["contact_type"] == "vendor")
    customer = next(c for c in sb.records("contacts") if c["contact_type"] == "customer")
    sb.mutate("contacts", "update", ids=[vendor["contact_id"]])
    wait_for(lambda: receiver.delivered("/hooks/customers?event=edited"))
    sb.switches(vendors_route="vendors")
    receiver.clear()
    sb.mutate("contacts", "update", ids=[vendor["contact_id"], customer["contact_id"]])
    vendors = wait_for(lambda: receiver.delivered("/hooks/vendors?event=edited&route=vendors"))
    customers = wait_for(lambda: receiver.delivered("/hooks/customers?event=edited"))
    assert [h["body"]["contact"]["contact_id"] for h in vendors] == [vendor["contact_id"]]
    assert [h["body"]["contact"]["contact_id"] for h in customers] == [customer["contact_id"]]
    edited = vendors[0]["body"]["contact"]  # a contact edit moves its person and addresses
    assert edited["phone"] != vendor["phone"]
    assert edited["contact_persons"][0]["phone"] == edited["phone"]
    assert edited["shipping_address"]["address_id"] == vendor["shipping_address"]["address_id"]


def test_chaos_keeps_payments_and_documents_consistent(sb: Any, zoho: Zoho) -> None:
    sb.chaos(seed=7, rate=1.5, entities=["customerpayments", "invoices", "vendorpayments",
                                          "bills", "expenses", "estimates"])  # fmt: skip
    for path, key in (("customerpayments", "customerpayments"), ("invoices", "invoices"),
                      ("vendorpayments", "vendorpayments"), ("bills", "bills")):  # fmt: skip
        zoho.list_all(f"/books/v3/{path}", key, per_page=25)
    sb.stop_chaos()
    stats = sb.stats()["chaos"]
    assert stats["counts"].get("customerpayments") and stats["counts"].get("invoices")
    for pays, docs, doc_id in (("customerpayments", "invoices", "invoice_id"),
                               ("vendorpayments", "bills", "bill_id")):  # fmt: skip
        applied: dict[str, float] = {}
        for pay in sb.records(pays):
            for line in pay[docs]:
                applied[line[doc_id]] = applied.get(line[doc_id], 0.0) + line["amount_applied"]
        live = {d[doc_id]: d for d in sb.records(docs)}
        assert set(applied) <= set(live)
        for d in live.values():
            if d["status"] not in ("draft", "void"):
                assert d["balance"] == pytest.approx(
                    d["total"] - applied.get(d[doc_id], 0), abs=0.01
                )
