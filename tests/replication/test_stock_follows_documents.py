"""Stock follows the documents that move it (issue 23): a document change schedules exactly
its items, whichever way it came; a refresh reads them in batches under the stock rule.
Against the sandbox over HTTP, on both dialects."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, log
from tests.replication.moving import sync
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import products, tds_stock_refresh
from tsh_db.types import utcnow
from tsh_pipelines.sync import stock_refresh
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.sync.stock_schedule import schedule
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from zoho_sandbox.process import SandboxProcess


def client_for(sandbox: SandboxProcess, engine: Engine) -> ZohoClient:
    return ZohoClient(settings_for(sandbox, **ROOMY), engine)


def scheduled(engine: Engine) -> dict[str, str]:
    t = tds_stock_refresh
    with engine.connect() as conn:
        return dict(conn.execute(select(t.c.item_zoho_id, t.c.reason)).all())


def calls(client: ZohoClient, api: str) -> int:
    return sum(n for (a, _e, _o), n in client.stats.calls.items() if a == api)


def invoice_of(sandbox: SandboxProcess, n: int = 0) -> dict:
    return sandbox.records("invoices")[n]


def test_an_invoice_webhook_schedules_exactly_its_items_old_and_new(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    invoice = invoice_of(fresh_sandbox)
    iid = str(invoice["invoice_id"])
    first = {str(li["item_id"]) for li in invoice["line_items"]}
    with client_for(fresh_sandbox, engine) as client:
        apply_event(client, engine, "invoices", iid, "created", {"invoice": invoice}, utcnow())
        assert set(scheduled(engine)) == first
        # an edit that replaces the lines: the old lines' stock comes back, the new goes out
        other = invoice_of(fresh_sandbox, 1)["line_items"]
        edited = {**invoice, "line_items": other, "last_modified_time": "2026-09-01T10:00:00+0300"}
        apply_event(client, engine, "invoices", iid, "edited", {"invoice": edited}, utcnow())
        assert set(scheduled(engine)) == first | {str(li["item_id"]) for li in other}
        assert client.stats.total == 0  # scheduling costs no call
    assert set(scheduled(engine).values()) == {"invoices"}


def test_a_deleted_document_schedules_the_items_it_had_moved(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    invoice = invoice_of(fresh_sandbox)
    iid = str(invoice["invoice_id"])
    with client_for(fresh_sandbox, engine) as client:
        apply_event(client, engine, "invoices", iid, "created", {"invoice": invoice}, utcnow())
        refresh = stock_refresh.claim(engine)
        assert refresh is not None
        stock_refresh.release(engine, refresh)
        assert stock_refresh.due_count(engine) == 0
        apply_event(client, engine, "invoices", iid, "deleted", {})
    items = {str(li["item_id"]) for li in invoice["line_items"]}
    assert stock_refresh.due_count(engine) == len(items)
    assert set(scheduled(engine).values()) == {"invoices deleted"}


def test_a_listing_schedules_the_documents_it_fetched_details_for(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    sync(fresh_sandbox, engine, "bills", FULL_REFRESH)
    lines = {str(li["item_id"]) for b in fresh_sandbox.records("bills") for li in b["line_items"]}
    assert set(scheduled(engine)) == lines


def test_a_refresh_reads_totals_a_hundred_a_call_and_each_items_warehouses(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    with client_for(fresh_sandbox, engine) as client:
        sync_products(client, engine, mode=FULL_REFRESH, log=log)
        sync_stock(client, engine, mode=FULL_REFRESH, log=log)
    with engine.connect() as conn:
        query = select(products.c.zoho_id).where(products.c.source == BOOKS)
        ids = sorted(conn.scalars(query.order_by(products.c.zoho_id)))
    fresh_sandbox.mutate("stock", "update", ids=ids[:3])  # moved in Zoho, no webhook for us
    with engine.begin() as conn:
        schedule(conn, dict.fromkeys(ids[:120]), "test")
    taken = stock_refresh.claim(engine)
    assert taken is not None and len(taken.item_ids) == 120
    totals = SyncTotals("product_warehouse_stock", "refresh")
    with client_for(fresh_sandbox, engine) as client:
        stock_refresh.refresh_totals(client, engine, taken.item_ids, totals)
        assert (calls(client, BOOKS), calls(client, INVENTORY)) == (2, 0)  # ceil(120 / 100)
        stock_refresh.refresh_warehouses(client, engine, taken.item_ids[:3], totals)
        assert calls(client, INVENTORY) == 3
    stock_refresh.release(engine, taken)
    truth = {str(i["item_id"]): i["stock_on_hand"] for i in fresh_sandbox.records("items")}
    with engine.connect() as conn:
        stored = dict(conn.execute(
            select(products.c.zoho_id, products.c.stock_on_hand)
            .where(products.c.zoho_id.in_(ids[:3]))
        ).all())  # fmt: skip
    assert {k: float(v) for k, v in stored.items()} == {k: float(truth[k]) for k in ids[:3]}
    assert stock_refresh.due_count(engine) == 0


def test_the_webhook_run_refreshes_the_stock_its_documents_moved(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    """The queue's run applies an invoice event (id-only: fetched), then refreshes exactly
    the invoice's items: totals from Books, warehouses from Inventory, in the same run."""
    from tests.realtime.test_realtime import run_sensor_once
    from tests.realtime.test_webhook_worker import queue_invoice_event

    invoice = queue_invoice_event(fresh_sandbox, engine)
    items = {str(li["item_id"]) for li in invoice["line_items"]}
    assert len(run_sensor_once(fresh_sandbox, db_url)) == 1
    assert stock_refresh.due_count(engine) == 0
    with engine.connect() as conn:
        refreshed = dict(conn.execute(
            select(tds_stock_refresh.c.item_zoho_id, tds_stock_refresh.c.refreshed_at)
        ).all())  # fmt: skip
        stocked = dict(conn.execute(
            select(products.c.zoho_id, products.c.warehouse_stock_synced_at)
            .where(products.c.zoho_id.in_(items))
        ).all())  # fmt: skip
    assert set(refreshed) == items and all(refreshed.values())
    assert set(stocked) == items and all(stocked.values())  # per-warehouse read, each item


def test_items_whose_stock_was_read_well_after_the_move_cost_no_call(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """A first sync lists months-old documents: the Inventory step has read their items'
    stock since, so the refresh they schedule skips them."""
    with client_for(fresh_sandbox, engine) as client:
        sync_products(client, engine, mode=FULL_REFRESH, log=log)
        sync_stock(client, engine, mode=FULL_REFRESH, log=log)
    sync(fresh_sandbox, engine, "bills", FULL_REFRESH)  # documents of 2025-2026: long ago
    taken = stock_refresh.claim(engine)
    assert taken is not None and taken.item_ids
    with engine.begin() as conn:  # one item's document changed just now
        schedule(conn, {taken.item_ids[0]: utcnow()}, "test")
    assert stock_refresh.needed(engine, taken) == []
    with engine.begin() as conn:  # stock never read, but the documents are months old
        read = dict(conn.execute(select(products.c.zoho_id, products.c.stock_synced_at)).all())
        conn.execute(update(products).values(stock_synced_at=None))
    assert stock_refresh.needed(engine, taken) == []
    with engine.begin() as conn:
        for zoho_id, at in read.items():
            conn.execute(update(products).where(products.c.zoho_id == zoho_id)
                         .values(stock_synced_at=at))  # fmt: skip
    stock_refresh.release(engine, taken)  # the new request came during that claim: due again
    again = stock_refresh.claim(engine)
    assert again is not None and stock_refresh.needed(engine, again) == [taken.item_ids[0]]
