"""Issue 22's corners of the one write path, against the sandbox over HTTP on both dialects:
same-second edits applied out of arrival order, a read and a webhook of one version, deletes
before creates, `deleted` on the stock route, partial bodies, a skewed Zoho clock, and the
stock of Inventory-only items.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, all_rows, live_rows, log
from tests.replication.moving import sync
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import products
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync import replicate
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.records import write_record
from tsh_pipelines.sync.replicate import FULL_REFRESH
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import _inventory_page, sync_stock
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from zoho_sandbox.process import SandboxProcess

CUSTOMERS = BY_NAME["customers"]


def client_for(sandbox: SandboxProcess, engine: Engine) -> ZohoClient:
    return ZohoClient(settings_for(sandbox, **ROOMY), engine)


def record_of(sandbox: SandboxProcess, entity: str, zoho_id: str) -> dict:
    """The record as Zoho holds it now: what a full webhook body carries."""
    key = {"contacts": "contact_id", "items": "item_id"}[entity]
    return next(r for r in sandbox.records(entity) if str(r[key]) == zoho_id)


def same_second_phones(sandbox: SandboxProcess) -> tuple[dict, dict]:
    """Two edits of one contact in one second: phone 111, then 222 (Zoho's latest)."""
    cid = str(sandbox.records("contacts")[0]["contact_id"])
    sandbox.mutate("contacts", "update", ids=[cid], fields={"phone": "111"})
    a = record_of(sandbox, "contacts", cid)
    sandbox.mutate("contacts", "update", ids=[cid], fields={"phone": "222"}, same_second=True)
    b = record_of(sandbox, "contacts", cid)
    assert a["last_modified_time"] == b["last_modified_time"] and a["phone"] != b["phone"]
    return a, b


def test_same_second_edits_apply_in_arrival_order(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    a, b = same_second_phones(fresh_sandbox)
    cid, arrived = str(a["contact_id"]), utcnow()
    with client_for(fresh_sandbox, engine) as client:
        # the later delivery is applied first (a retry, a deferred batch, a parallel run)
        later = apply_event(client, engine, "customers", cid, "edited", {"contact": b},
                            arrived + timedelta(milliseconds=3))  # fmt: skip
        earlier = apply_event(client, engine, "customers", cid, "edited", {"contact": a}, arrived)
        assert client.stats.total == 0
    assert (later.outcome, earlier.outcome) == ("upserted", "stale")
    assert live_rows(engine, "customers", "phone")[cid] == ("222",)


def test_a_webhook_beating_a_read_of_its_version_is_settled_by_zoho(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    a, b = same_second_phones(fresh_sandbox)
    cid = str(a["contact_id"])
    read_at = utcnow() - timedelta(seconds=2)
    write_record(engine, CUSTOMERS, b, BOOKS, received_at=read_at)  # a listing saw 222
    with client_for(fresh_sandbox, engine) as client:
        # the first edit's delivery, late: arrived after the read, with the same version
        apply_event(client, engine, "customers", cid, "edited", {"contact": a},
                    read_at + timedelta(seconds=1))  # fmt: skip
        assert client.stats.total == 1  # one fetch by id settled it
    assert live_rows(engine, "customers", "phone")[cid] == ("222",)


def test_a_delete_applied_before_the_create_stays_a_delete(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    cid = fresh_sandbox.mutate("contacts", "create")["records"][0]["id"]
    iid = fresh_sandbox.mutate("items", "create")["records"][0]["id"]
    contact, item = (
        record_of(fresh_sandbox, "contacts", cid),
        record_of(fresh_sandbox, "items", iid),
    )
    with client_for(fresh_sandbox, engine) as client:
        for entity, zoho_id, key, record in (("customers", cid, "contact", contact),
                                             ("products", iid, "item", item)):  # fmt: skip
            gone = apply_event(client, engine, entity, zoho_id, "deleted", {})
            assert gone.outcome == "unchanged"  # nothing live to delete, a tombstone left
            created = apply_event(client, engine, entity, zoho_id, "created", {key: record})
            assert created.outcome == "stale"
            assert zoho_id not in live_rows(engine, entity)
    dead = {r["zoho_id"]: r for r in all_rows(engine, "customers")}[cid]
    assert dead["deleted_at"] is not None and dead["zoho_last_modified_time"] is None


def test_deleted_on_the_stock_route_deletes_the_item(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    with client_for(fresh_sandbox, engine) as client:
        sync_products(client, engine, mode=FULL_REFRESH, log=log)
        iid = next(iter(live_rows(engine, "products")))
        calls = client.stats.total
        applied = apply_event(client, engine, "product_warehouse_stock", iid, "deleted", {})
        assert client.stats.total == calls  # Zoho said so: no stock read
    assert applied.outcome == "soft_deleted"
    assert iid not in live_rows(engine, "products")


def test_a_partial_body_is_not_taken_for_the_whole_record(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    contact = fresh_sandbox.records("contacts")[0]
    cid = str(contact["contact_id"])
    write_record(engine, CUSTOMERS, contact, BOOKS)
    fresh_sandbox.mutate("contacts", "update", ids=[cid], fields={"phone": "333"})
    record = record_of(fresh_sandbox, "contacts", cid)
    partial = {k: record[k] for k in ("contact_id", "last_modified_time", "phone")}
    with client_for(fresh_sandbox, engine) as client:
        apply_event(client, engine, "customers", cid, "edited", {"contact": partial})
        assert client.stats.total == 1  # fetched whole
    stored = live_rows(engine, "customers", "phone", "name", "email")[cid]
    assert stored == ("333", record["contact_name"], record["email"])


def test_a_tombstone_on_zohos_clock_outlives_an_edit_made_just_before_the_delete(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    fresh_sandbox.clock(skew=300)  # Zoho's clock five minutes ahead of ours
    try:
        contact = fresh_sandbox.records("contacts")[0]
        cid = str(contact["contact_id"])
        with client_for(fresh_sandbox, engine) as measuring:
            measuring.get(BOOKS, "contacts", {"per_page": 1})  # any answer: the Date header
        fresh_sandbox.mutate("contacts", "update", ids=[cid], fields={"phone": "444"})
        edit = record_of(fresh_sandbox, "contacts", cid)
        fresh_sandbox.mutate("contacts", "delete", ids=[cid])
        # a new process that has not called Zoho yet applies the delete, then the late edit
        with client_for(fresh_sandbox, engine) as client:
            apply_event(client, engine, "customers", cid, "deleted", {})
            late = apply_event(client, engine, "customers", cid, "edited", {"contact": edit})
            assert client.stats.total == 0
    finally:
        fresh_sandbox.clock(skew=0)
    assert late.outcome == "stale"
    assert cid not in live_rows(engine, "customers")


def test_inventory_only_stock_read_before_a_stock_webhook_and_written_after_it_loses(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    with client_for(fresh_sandbox, engine) as client:
        sync_products(client, engine, mode=FULL_REFRESH, log=log)
        sync_stock(client, engine, mode=FULL_REFRESH, log=log)
        with engine.connect() as conn:
            iid = conn.scalar(select(products.c.zoho_id).where(products.c.source == INVENTORY))
        assert iid is not None
        page_read_at = utcnow()
        before = client.get(INVENTORY, f"items/{iid}")["item"]
        moved = before["stock_on_hand"] + 7
        fresh_sandbox.mutate("stock", "update", ids=[iid], fields={"stock_on_hand": moved})
        after = client.get(INVENTORY, f"items/{iid}")["item"]
        applied = apply_event(client, engine, "product_warehouse_stock", iid, "edited",
                              {"item": after}, utcnow())  # fmt: skip
        assert applied.outcome == "upserted"
    # The page Zoho served before the move, had the move left the item's version alone (as
    # stock moves may): it is written after the webhook and must not bring the old stock back
    page = {**before, "last_modified_time": after["last_modified_time"]}
    with engine.begin() as conn:
        _inventory_page(conn, [page], page_read_at, SyncTotals("stock", "test"))
    with engine.connect() as conn:
        stock = conn.scalar(select(products.c.stock_on_hand).where(products.c.zoho_id == iid))
    assert stock == moved


def test_a_page_read_before_a_late_webhook_of_its_version_is_settled_by_zoho(
    fresh_sandbox: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b = same_second_phones(fresh_sandbox)  # Zoho holds 222
    cid = str(a["contact_id"])
    read_details = replicate.fetch_details

    def late_first_edit(client: ZohoClient, engine: Engine, entity: Any, rows: list) -> Any:
        # the page is stamped; the 111 delivery arrives now, before the page is written
        if any(r["zoho_id"] == cid for r in rows):
            with client_for(fresh_sandbox, engine) as webhook_client:
                apply_event(webhook_client, engine, "customers", cid, "edited", {"contact": a},
                            utcnow())  # fmt: skip
        return read_details(client, engine, entity, rows)

    monkeypatch.setattr(replicate, "fetch_details", late_first_edit)
    totals = sync(fresh_sandbox, engine, "customers", FULL_REFRESH)
    assert totals.extra["settled_by_fetch"] == 1
    assert live_rows(engine, "customers", "phone")[cid] == ("222",)


def test_a_stock_body_of_the_stored_version_is_checked_with_inventory(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """A -> B -> A delivered as A, A, B: the last body (B) carries the stored version, so
    its order cannot be known and Inventory, asked once, says A."""
    with client_for(fresh_sandbox, engine) as client:
        sync_products(client, engine, mode=FULL_REFRESH, log=log)
        sync_stock(client, engine, mode=FULL_REFRESH, log=log)
        iid = next(iter(live_rows(engine, "products")))
        now_a = client.get(INVENTORY, f"items/{iid}")["item"]
        stale_b = {**now_a, "stock_on_hand": now_a["stock_on_hand"] + 5}
        calls = client.stats.total
        apply_event(client, engine, "product_warehouse_stock", iid, "edited", {"item": stale_b},
                    utcnow())  # fmt: skip
        assert client.stats.total == calls + 1
    with engine.connect() as conn:
        stock = conn.scalar(select(products.c.stock_on_hand).where(products.c.zoho_id == iid))
    assert stock == now_a["stock_on_hand"]
