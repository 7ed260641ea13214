"""Fixtures: a small sandbox of the outbox tests' own (they create documents in it, so it is
reset before each test), and a replica of its master data (items, stock, consumer prices,
customers) built the way the syncs build it, over the migrated database of each dialect."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import CLIENT
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import consumer_catalog, customers
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.validation import validate
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import sync_entity
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("tests.outbox")


@pytest.fixture(scope="session")
def orders_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        seed=26, items=20, customers=6, vendors=1, invoices=4, bills=1, creditnotes=1,
        salesorders=2, inventory_only_items=0, inventory_adjustments=0, transfer_orders=0,
        books_rpm=100_000, inventory_rpm=100_000,
    ) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sandbox26(orders_sandbox: SandboxProcess) -> SandboxProcess:
    orders_sandbox.reset()
    return orders_sandbox


def client_for(sandbox: SandboxProcess, engine: Engine, **overrides: Any) -> ZohoClient:
    return ZohoClient(settings_for(sandbox, **{**CLIENT, **overrides}), engine)


@pytest.fixture
def replica(sandbox26: SandboxProcess, engine: Engine) -> Engine:
    """The replica of the sandbox's items, stock, prices and customers (no documents)."""
    with client_for(sandbox26, engine) as client:
        sync_products(client, engine, log=log)
        sync_stock(client, engine, log=log)
        sync_price_lists(client, engine, log=log)
        sync_entity(client, engine, BY_NAME["customers"], log=log)
    return engine


def catalogue(engine: Engine) -> list[Any]:
    """Products a consumer can order, with their consumer price."""
    c = consumer_catalog.c
    with engine.connect() as conn:
        return list(conn.execute(select(c.product_zoho_id, c.price).order_by(c.product_zoho_id)))


def a_customer(engine: Engine) -> Any:
    c = customers.c
    with engine.connect() as conn:
        known = c.email.is_not(None), c.contact_type == "customer"
        return conn.execute(select(c.zoho_id, c.name, c.email, c.phone).where(*known)
                            .order_by(c.zoho_id)).first()  # fmt: skip


def consumer_order(engine: Engine, email: str | None = None, **extra: Any) -> dict[str, Any]:
    """A valid consumer order of two catalogue products, by a customer the replica knows
    (or, given an `email`, by a new one)."""
    (p1, price1), (p2, _) = catalogue(engine)[:2]
    who = a_customer(engine)
    return {"kind": "consumer_order",
            "customer": {"name": who.name, "email": email or who.email,
                         "phone": None if email else who.phone},
            "items": [{"product_id": p1, "quantity": 2, "price": float(price1)},
                      {"product_id": p2, "quantity": 1}],
            "delivery_address": "Karrada, Baghdad", "notes": "call first", **extra}  # fmt: skip


def enqueue(engine: Engine, payload: dict[str, Any]) -> dict[str, Any]:
    """The order's outbox row, as POST /api/tds/orders stores it."""
    with engine.connect() as conn:
        order = validate(conn, payload)
    row, _ = store.insert(engine, order, payload)
    return dict(row)
