"""Both kinds of Inventory organisation: on Locations the listing carries per-location
stock and no item costs a detail call; on warehouses one call per item whose stock changed.

And the split of products between the Books step and the Inventory step: each confirms
the deletes of its own items, and missing Books items are asked for a hundred a call.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import CLIENT, live_rows, log
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import product_warehouse_stock, products
from tsh_pipelines.sync.products import PRODUCTS, sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, confirm_deletes
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import INVENTORY, ZohoClient
from zoho_sandbox.process import SandboxProcess

SIZES = {"seed": 21, "items": 40, "inventory_only_items": 4, "customers": 5, "vendors": 2,
         "invoices": 5, "bills": 2, "creditnotes": 1, "salesorders": 1,
         "books_rpm": 100_000, "inventory_rpm": 100_000}  # fmt: skip

ONLY_INVENTORY = products.c.source == INVENTORY


@pytest.fixture(scope="module", params=["locations", "warehouses"])
def org(request: pytest.FixtureRequest) -> Iterator[SandboxProcess]:
    # an incremental finds the moved items by last_modified_time: the switch must be on
    with SandboxProcess(inventory_mode=request.param, stock_moves_bump_modified=True,
                        **SIZES) as sb:  # fmt: skip
        yield sb


def run(sb: SandboxProcess, engine: Engine, mode: str) -> tuple[SyncTotals, dict[str, int]]:
    with ZohoClient(settings_for(sb, **CLIENT), engine) as books:
        sync_products(books, engine, mode=mode, log=log)
    with ZohoClient(settings_for(sb, **CLIENT), engine) as inventory:
        totals = sync_stock(inventory, engine, mode=mode, log=log)
    return totals, inventory.stats.by_endpoint()


def detail_calls(calls: dict[str, int]) -> int:
    return sum(n for endpoint, n in calls.items() if endpoint.startswith(f"{INVENTORY}:items/"))


def zoho_stock(sb: SandboxProcess, engine: Engine) -> dict[tuple[str, str], Decimal]:
    """(item, warehouse) -> stock on hand, from Inventory's own detail records."""
    out = {}
    with ZohoClient(settings_for(sb, **CLIENT), engine) as truth:
        for item_id in live_rows(engine, "products"):
            item = truth.get(INVENTORY, f"items/{item_id}")["item"]
            rows = item.get("locations") or item.get("warehouses") or []
            prefix = "location" if "locations" in item else "warehouse"
            for w in rows:
                out[(item_id, str(w[f"{prefix}_id"]))] = Decimal(str(w[f"{prefix}_stock_on_hand"]))
    return out


def stored_stock(engine: Engine) -> dict[tuple[str, str], Decimal]:
    t = product_warehouse_stock
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.product_zoho_id, t.c.warehouse_zoho_id, t.c.stock_on_hand))
        return {(r[0], r[1]): Decimal(r[2]) for r in rows}


def test_per_location_stock_comes_with_the_listing_or_one_call_per_changed_item(
    org: SandboxProcess, engine: Engine
) -> None:
    org.reset()
    mode = org.options["inventory_mode"]
    items = SIZES["items"] + SIZES["inventory_only_items"]
    totals, calls = run(org, engine, FULL_REFRESH)
    assert detail_calls(calls) == (0 if mode == "locations" else items)
    assert totals.extra["inventory_only_items"] == SIZES["inventory_only_items"]
    assert stored_stock(engine) == zoho_stock(org, engine)
    moved = sorted(live_rows(engine, "products"))[:3]
    org.mutate("stock", "update", ids=moved)
    totals, calls = run(org, engine, INCREMENTAL)
    assert detail_calls(calls) == (0 if mode == "locations" else len(moved))
    assert stored_stock(engine) == zoho_stock(org, engine)


def test_each_step_confirms_the_deletes_of_its_own_items(
    org: SandboxProcess, engine: Engine
) -> None:
    org.reset()
    run(org, engine, FULL_REFRESH)
    with engine.connect() as conn:
        only = sorted(
            conn.scalars(select(products.c.zoho_id).where(products.c.source == INVENTORY))
        )
    assert len(only) == SIZES["inventory_only_items"]
    # The Books step alone never takes the items only Inventory has for deleted
    with ZohoClient(settings_for(org, **CLIENT), engine) as books:
        sync_products(books, engine, mode=FULL_REFRESH, log=log)
    assert set(only) <= set(live_rows(engine, "products"))
    assert not any(":items/" in e for e in books.stats.by_endpoint())  # no call spent on them
    # and the Books step needs nothing of Inventory, so it never waits on Inventory's limit
    assert not any(e.startswith(f"{INVENTORY}:") for e in books.stats.by_endpoint())
    # An Inventory-only item deleted in Zoho: the Inventory step confirms it with a 404
    org.mutate("items", "delete", ids=only[:1])
    totals, _ = run(org, engine, FULL_REFRESH)
    assert only[0] not in live_rows(engine, "products") and totals.soft_deleted == 1


def test_books_items_missing_from_a_listing_are_asked_for_a_hundred_a_call(
    org: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOHO_MAX_DELETE_SHARE", "1")
    org.reset()
    run(org, engine, FULL_REFRESH)
    with engine.connect() as conn:
        books = sorted(
            conn.scalars(select(products.c.zoho_id).where(products.c.source != INVENTORY))
        )
    gone = books[:2]
    org.mutate("items", "delete", ids=gone)
    seen = set(books[30:])  # as if the listing had missed the first 30 (offset shifts)
    totals = SyncTotals("products", FULL_REFRESH)
    with ZohoClient(settings_for(org, **CLIENT), engine) as client:
        confirm_deletes(
            client, engine, PRODUCTS, seen, totals, where=products.c.source != INVENTORY
        )
    calls = client.stats.by_endpoint()
    # one itemdetails call for the 30; each of the 2 it leaves out asked alone, Books then
    # Inventory, so only Zoho's 404s tombstone them
    assert calls.get("books:itemdetails") == 1
    assert calls.get("books:items/{id}") == 2 and calls.get("inventory:items/{id}") == 2
    assert totals.soft_deleted == 2 and totals.extra["missing_but_live"] == 28
    assert not set(gone) & set(live_rows(engine, "products"))
