"""The push, against the sandbox over HTTP: each order reaches Zoho exactly once, whatever
fails, with its calls counted and Zoho's answer in the replica at once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tests.investigation.test_investigation import Sink
from tests.outbox.conftest import a_customer, client_for, consumer_order, enqueue
from tsh_db.schema import customers, invoices, sales_order_line_items, sales_orders, tds_outbox
from tsh_db.types import utcnow
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.worker import drain
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("tests.outbox")


def push(sandbox: SandboxProcess, engine: Engine, **settings: Any) -> dict[str, int]:
    with client_for(sandbox, engine, **settings) as client:
        return dict(drain(client, engine, log, seconds=30, idle_seconds=0))


def row_of(engine: Engine, outbox_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(tds_outbox).where(tds_outbox.c.id == outbox_id))
                    .mappings().one())  # fmt: skip


def in_zoho(sandbox: SandboxProcess, entity: str, outbox_id: int) -> list[dict]:
    ref = store.reference(outbox_id)
    return [r for r in sandbox.records(entity) if r.get("reference_number") == ref]


def test_a_consumer_order_becomes_one_sales_order_in_one_call(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    row = enqueue(replica, consumer_order(replica))
    assert push(sandbox26, replica) == {"synced": 1}
    done = row_of(replica, row["id"])
    [so] = in_zoho(sandbox26, "salesorders", row["id"])
    assert done["status"] == "synced" and done["zoho_calls"] == 1  # a known customer
    assert (done["zoho_document_type"], done["zoho_document_id"]) == (
        "salesorder",
        so["salesorder_id"],
    )
    assert [(li["quantity"], li["rate"]) for li in so["line_items"]][0][0] == 2
    with replica.connect() as conn:  # in the replica at once, lines included, before any webhook
        stored = conn.execute(
            select(sales_orders.c.status, sales_orders.c.salesorder_number).where(
                sales_orders.c.zoho_id == so["salesorder_id"]
            )
        ).one()
        lines = conn.execute(
            select(sales_order_line_items.c.quantity).where(
                sales_order_line_items.c.sales_order_zoho_id == so["salesorder_id"]
            )
        ).all()
    assert stored == ("open", so["salesorder_number"]) and len(lines) == 2


def test_a_new_customer_costs_one_more_call_once(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    first = enqueue(replica, consumer_order(replica, email="new.buyer@tsh.example"))
    second = enqueue(replica, consumer_order(replica, email="New.Buyer@tsh.example"))
    assert push(sandbox26, replica) == {"synced": 2}
    calls = [row_of(replica, r["id"])["zoho_calls"] for r in (first, second)]
    assert calls == [2, 1]  # the contact went through the write path: the second finds it
    made = [c for c in sandbox26.records("contacts") if c.get("email") == "new.buyer@tsh.example"]
    assert len(made) == 1
    with replica.connect() as conn:
        assert conn.scalar(select(customers.c.zoho_id).where(
            customers.c.email == "new.buyer@tsh.example")) == made[0]["contact_id"]  # fmt: skip


def test_a_pos_sale_is_an_invoice_paid_in_two_calls(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    row = enqueue(replica, {**consumer_order(replica), "kind": "pos_sale", "payment_mode": "cash"})
    assert push(sandbox26, replica) == {"synced": 1}
    done = row_of(replica, row["id"])
    [invoice] = in_zoho(sandbox26, "invoices", row["id"])
    payments = in_zoho(sandbox26, "customerpayments", row["id"])
    assert done["zoho_calls"] == 2 and done["zoho_payment_id"] == payments[0]["payment_id"]
    assert len(payments) == 1 and (invoice["status"], invoice["balance"]) == ("paid", 0.0)
    with replica.connect() as conn:
        assert conn.scalar(select(invoices.c.zoho_id).where(
            invoices.c.zoho_id == invoice["invoice_id"])) is not None  # fmt: skip


def test_ambiguous_failures_are_looked_up_and_adopted_never_sent_twice(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    sandbox26.chaos(rate=0, ambiguous_writes=1.0)  # every write saves, then answers 500
    orders = [enqueue(replica, consumer_order(replica)),
              enqueue(replica, {**consumer_order(replica, email="walk.in@tsh.example"),
                                "kind": "pos_sale"})]  # fmt: skip
    assert push(sandbox26, replica) == {"synced": 2}
    sandbox26.chaos()
    assert len(in_zoho(sandbox26, "salesorders", orders[0]["id"])) == 1
    assert len(in_zoho(sandbox26, "invoices", orders[1]["id"])) == 1
    assert len(in_zoho(sandbox26, "customerpayments", orders[1]["id"])) == 1
    assert len([c for c in sandbox26.records("contacts")
                if c.get("email") == "walk.in@tsh.example"]) == 1  # fmt: skip
    assert sandbox26.stats()["chaos"]["ambiguous_failed"] == 4  # contact, SO, invoice, payment
    pos = row_of(replica, orders[1]["id"])
    assert pos["status"] == "synced" and pos["zoho_payment_id"]


def test_a_push_killed_after_sending_adopts_what_zoho_saved(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    row = enqueue(replica, consumer_order(replica))
    taken = store.claim(replica)  # a push takes the row, marks it and sends ...
    assert taken is not None
    store.progress(replica, taken, document_sent_at=utcnow())
    with client_for(sandbox26, replica) as client:
        client.send("POST", "books", "salesorders", body={
            "customer_id": a_customer(replica).zoho_id,
            "reference_number": store.reference(row["id"]),
            "line_items": [{"item_id": row["payload"]["items"][0]["product_id"], "quantity": 1}],
        })  # fmt: skip
    with replica.begin() as conn:  # ... and dies before Zoho's answer is recorded
        conn.execute(update(tds_outbox).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert push(sandbox26, replica) == {"synced": 1}
    assert len(in_zoho(sandbox26, "salesorders", row["id"])) == 1
    done = row_of(replica, row["id"])
    assert done["attempts"] == 2 and done["zoho_calls"] == 2  # the dead run's attempt counts
    # the second push: the lookup by reference and the fetch of what it found, no POST


def test_outages_and_a_spent_budget_defer_without_spending_an_attempt(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    row = enqueue(replica, consumer_order(replica))
    sandbox26.faults(errors=[{"status": 503, "rate": 1.0}])
    assert push(sandbox26, replica, max_attempts=2) == {"deferred": 1}
    sandbox26.faults()
    waiting = row_of(replica, row["id"])
    assert (waiting["status"], waiting["attempts"], waiting["deferrals"]) == ("pending", 0, 1)
    assert (
        waiting["next_attempt_at"] > utcnow() and in_zoho(sandbox26, "salesorders", row["id"]) == []
    )
    with replica.begin() as conn:
        conn.execute(update(tds_outbox).values(next_attempt_at=utcnow()))
    assert push(sandbox26, replica, books_daily_limit=1) == {"deferred": 1}  # our budget: no call
    assert row_of(replica, row["id"])["attempts"] == 0
    with replica.begin() as conn:
        conn.execute(update(tds_outbox).values(next_attempt_at=utcnow()))
    assert push(sandbox26, replica) == {"synced": 1}
    assert len(in_zoho(sandbox26, "salesorders", row["id"])) == 1  # the 503s saved nothing


def test_zoho_refusals_fail_the_row_alert_and_replay_once_fixed(
    sandbox26: SandboxProcess, replica: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = Sink()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", sink.url)
    payload = consumer_order(replica)
    row = enqueue(replica, payload)
    item = payload["items"][0]["product_id"]
    sandbox26.mutate("items", "update", ids=[item], fields={"status": "inactive"})
    assert push(sandbox26, replica) == {"failed": 1}
    failed = row_of(replica, row["id"])
    assert (failed["error_code"], failed["status"]) == (2, "failed")
    assert f"Item {item} is inactive" in failed["error_message"]
    assert (
        "replay" in sink.bodies[0]["text"] and store.reference(row["id"]) in sink.bodies[0]["text"]
    )
    sink.server.shutdown()
    sandbox26.mutate("items", "update", ids=[item], fields={"status": "active"})
    assert store.replay(replica, [row["id"]]) == 1
    assert push(sandbox26, replica) == {"synced": 1}
    assert len(in_zoho(sandbox26, "salesorders", row["id"])) == 1


def test_cancelled_before_sending_is_never_sent_after_it_is_voided(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    early, late = (
        enqueue(replica, consumer_order(replica)),
        enqueue(replica, consumer_order(replica)),
    )
    store.cancel(replica, early["id"])
    assert push(sandbox26, replica) == {"cancelled": 1, "synced": 1}
    assert row_of(replica, early["id"])["zoho_calls"] == 0 and not in_zoho(
        sandbox26, "salesorders", early["id"])  # fmt: skip
    store.cancel(replica, late["id"])
    assert push(sandbox26, replica) == {"cancelled": 1}
    [so] = in_zoho(sandbox26, "salesorders", late["id"])
    voided = row_of(replica, late["id"])
    assert so["status"] == "void" and voided["voided_at"] is not None
    with replica.connect() as conn:
        assert conn.scalar(select(sales_orders.c.status).where(
            sales_orders.c.zoho_id == so["salesorder_id"])) == "void"  # fmt: skip


def test_a_bad_row_inserted_by_sql_fails_with_the_field_and_no_call(
    sandbox26: SandboxProcess, replica: Engine
) -> None:
    payload = consumer_order(replica)
    payload["items"][0]["quantity"] = 0
    with replica.begin() as conn:  # TSH's own transaction: the columns it must give
        new_id = conn.execute(
            tds_outbox.insert()
            .values(
                kind="consumer_order", payload=payload, customer_email=payload["customer"]["email"]
            )  # fmt: skip
            .returning(tds_outbox.c.id)
        ).scalar_one()
    assert push(sandbox26, replica) == {"failed": 1}
    failed = row_of(replica, new_id)
    assert failed["zoho_calls"] == 0 and failed["error_message"].startswith("items[0].quantity")
