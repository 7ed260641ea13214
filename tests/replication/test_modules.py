"""Every Zoho module of the registry, against the sandbox over HTTP (issue 24): the first sync
lands each exactly (children included), a run with nothing changed costs at most a call per
entity, filters Zoho may refuse or ignore are coped with, webhooks route by content, and the
reconciliation repairs what was missed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.convergence.compare import compare
from tests.replication.helpers import CLIENT, live_rows, log, replicate_all
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import metadata
from tsh_pipelines.entities import BY_NAME, ENTITIES
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.reconcile import reconcile_entity
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, sync_entity
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

NEW = (
    "vendors", "estimates", "customer_payments", "purchase_orders", "vendor_credits",
    "vendor_payments", "expenses", "zoho_users", "taxes", "currencies", "chart_of_accounts",
)  # fmt: skip


def _client(sandbox: SandboxProcess, engine: Engine) -> ZohoClient:
    return ZohoClient(settings_for(sandbox, **CLIENT), engine)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(metadata.tables[table])) or 0


def test_first_sync_lands_every_module_and_a_quiet_run_costs_a_call_each(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    replicate_all(fresh_sandbox, engine)
    divergence = compare(fresh_sandbox, engine)
    assert divergence.clean, (divergence.totals(), divergence.examples)
    for name in NEW:
        assert live_rows(engine, name), f"{name} is empty"
    for table in ("contact_persons", "contact_addresses", "customer_payment_invoices",
                  "vendor_payment_bills", "purchase_order_line_items"):  # fmt: skip
        assert _count(engine, table) > 0, table

    contacts = fresh_sandbox.records("contacts")
    vendors = {str(c["contact_id"]) for c in contacts if c["contact_type"] == "vendor"}
    assert set(live_rows(engine, "vendors")) == vendors
    assert not vendors & set(live_rows(engine, "customers"))
    users = set(live_rows(engine, "zoho_users"))
    owners = {o for (o,) in live_rows(engine, "customers", "owner_zoho_id").values()}
    assert owners and owners <= users  # every salesperson is a replicated user
    invoices = set(live_rows(engine, "invoices"))
    applied = metadata.tables["customer_payment_invoices"]
    with engine.connect() as conn:
        paid = set(conn.scalars(select(applied.c.invoice_zoho_id)))
    assert paid and paid <= invoices  # payments applied to real, replicated invoices

    _, calls = replicate_all(fresh_sandbox, engine)  # nothing changed in Zoho
    # products: Books' listing and Inventory's; price books: every book's rates, each run
    quiet = {e.name: calls[e.name] for e in ENTITIES if e.name not in ("products", "price_lists")}
    assert all(n <= 1 for n in quiet.values()), quiet
    assert [calls[e.name] for e in ENTITIES if e.refresh_hours] == [0, 0, 0, 0]  # listed today


@pytest.mark.parametrize("answer", ["refused", "ignored"])
def test_a_cursor_zoho_refuses_or_ignores_still_finds_every_change(
    answer: str, fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    payments = BY_NAME["customer_payments"]
    with _client(fresh_sandbox, engine) as client:
        sync_entity(client, engine, payments, mode=INCREMENTAL, log=log)
    fresh_sandbox.switches(payments_modified_filter=answer)
    some = fresh_sandbox.records("customerpayments")[0]
    fresh_sandbox.mutate("customerpayments", "update", ids=[str(some["payment_id"])],
                         fields={"reference_number": "REF-24"})  # fmt: skip
    with _client(fresh_sandbox, engine) as client:
        totals = sync_entity(client, engine, payments, mode=INCREMENTAL, log=log)
        calls = client.stats.total
    stored = live_rows(engine, "customer_payments", "reference_number")
    assert stored[str(some["payment_id"])] == ("REF-24",)
    assert totals.counts.updated == 1  # the whole listing rewrote nothing else
    assert calls >= 2 if answer == "refused" else calls >= 1  # the refusal cost its call


def test_contacts_are_split_even_when_zoho_ignores_the_type_filter(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    fresh_sandbox.switches(contact_type_filter="ignored")
    with _client(fresh_sandbox, engine) as client:
        for name in ("customers", "vendors"):
            sync_entity(client, engine, BY_NAME[name], mode=INCREMENTAL, log=log)
    truth = {str(c["contact_id"]): c["contact_type"] for c in fresh_sandbox.records("contacts")}
    assert set(live_rows(engine, "customers")) == {i for i, t in truth.items() if t == "customer"}
    assert set(live_rows(engine, "vendors")) == {i for i, t in truth.items() if t == "vendor"}


def test_webhooks_route_contacts_by_type_and_payments_with_their_invoices(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    vendor = next(c for c in fresh_sandbox.records("contacts") if c["contact_type"] == "vendor")
    payment = fresh_sandbox.records("customerpayments")[0]
    vid, pid = str(vendor["contact_id"]), str(payment["payment_id"])
    with _client(fresh_sandbox, engine) as client:
        # TSH's Contacts rule sends vendors to the customers route too: an id-only body
        applied = apply_event(client, engine, "customers", vid, "edited", {"contact": {
            "contact_id": vid}})  # fmt: skip
        assert (applied.entity, applied.outcome) == ("vendors", "upserted")
        assert "contact_persons" in applied.assets
        full = apply_event(client, engine, "customer_payments", pid, "created",
                           {"payment": payment})  # fmt: skip
        assert full.outcome == "upserted" and full.partition is not None
        gone = apply_event(client, engine, "customers", vid, "deleted", {})
        assert (gone.entity, gone.outcome) == ("vendors", "soft_deleted")
    assert vid not in live_rows(engine, "vendors") and vid not in live_rows(engine, "customers")
    rows = metadata.tables["customer_payment_invoices"]
    with engine.connect() as conn:
        stored = {r.invoice_zoho_id: r.amount_applied for r in conn.execute(
            select(rows).where(rows.c.customer_payment_zoho_id == pid))}  # fmt: skip
    assert stored == {str(i["invoice_id"]): Decimal(str(i["amount_applied"]))
                      for i in payment["invoices"]}  # fmt: skip


@pytest.mark.parametrize("name", ["vendors", "customer_payments", "taxes"])
def test_reconciliation_finds_and_repairs_each_module(
    name: str, fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    entity = BY_NAME[name]
    sandbox_name = entity.path.rsplit("/", 1)[-1]
    fields = dict(entity.match)  # a vendor is created as a vendor
    (gone,) = _created(fresh_sandbox.mutate(sandbox_name, "create", fields=fields))
    with _client(fresh_sandbox, engine) as client:
        sync_entity(client, engine, entity, mode=FULL_REFRESH, log=log)
    assert gone in live_rows(engine, name)
    # missed while no webhook reached us: a delete and a create
    fresh_sandbox.mutate(sandbox_name, "delete", ids=[gone])
    (new,) = _created(fresh_sandbox.mutate(sandbox_name, "create", fields=fields))
    with _client(fresh_sandbox, engine) as client:
        drift = reconcile_entity(client, engine, entity, repair=True, log=log)
    assert (drift.found["extra"], drift.found["missing"]) == ([gone], [new])
    assert drift.unrepaired == 0
    live = live_rows(engine, name)
    assert new in live and gone not in live


def _created(answer: dict) -> list[str]:
    return [r["id"] for r in answer["records"]]
