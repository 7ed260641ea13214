"""Backfills are one listing; a killed sync converges on re-run; Zoho's data quirks land clean."""

from __future__ import annotations

import multiprocessing
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, all_rows, live_rows, log, replicate_all
from tests.zoho_client.conftest import settings_for
from tsh_db.engine import get_engine
from tsh_db.schema import invoices
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.replicate import RANGE, sync_entity
from tsh_pipelines.sync.state import get_watermark
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

INVOICES = BY_NAME["invoices"]


def test_three_month_backfill_is_one_listing(fresh_sandbox: SandboxProcess, engine: Engine) -> None:
    start, end = date(2025, 3, 1), date(2025, 5, 31)
    truth = {
        r["invoice_id"] for r in fresh_sandbox.records("invoices")
        if start.isoformat() <= r["date"] <= end.isoformat()
    }  # fmt: skip
    with ZohoClient(settings_for(fresh_sandbox, **ROOMY), engine) as client:
        totals = sync_entity(client, engine, INVOICES, mode=RANGE, date_start=start, date_end=end)
    listing_calls = client.stats.by_endpoint()["books:invoices"]
    assert listing_calls == totals.pages == -(-len(truth) // 200)
    assert set(live_rows(engine, "invoices")) == truth
    assert totals.touched_partitions == {"2025-03-01", "2025-04-01", "2025-05-01"}
    assert get_watermark(engine, "invoices") is None  # a backfill does not move the watermark


def _sync_invoices(db_url: str, sandbox_url: str) -> None:
    class _SB:
        url = sandbox_url

    engine = get_engine(db_url)
    with ZohoClient(settings_for(_SB(), **ROOMY), engine) as client:  # type: ignore[arg-type]
        sync_entity(client, engine, INVOICES, log=log)


def test_killed_run_converges_on_rerun(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    fresh_sandbox.faults(latency_ms=40)  # slow enough to be killed mid-listing
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_sync_invoices, args=(db_url, fresh_sandbox.url))
    child.start()
    deadline = time.monotonic() + 60
    # A read-only engine: on SQLite it takes no write lock while polling the killed writer.
    with get_engine(db_url, read_only=True).connect() as conn:
        while conn.scalar(select(func.count()).select_from(invoices)) == 0:
            assert time.monotonic() < deadline and child.is_alive()
            time.sleep(0.05)
            conn.rollback()
    child.kill()
    child.join()
    partial = len(live_rows(engine, "invoices"))
    truth = fresh_sandbox.records("invoices")
    assert 0 < partial < len(truth)
    assert get_watermark(engine, "invoices") is None  # never advanced by the killed run

    fresh_sandbox.faults(latency_ms=0)
    _sync_invoices(db_url, fresh_sandbox.url)
    stored = live_rows(engine, "invoices", "total")
    assert set(stored) == {r["invoice_id"] for r in truth}
    lines = all_rows(engine, "invoice_line_items")
    assert len(lines) == sum(len(r["line_items"]) for r in truth)
    assert len({(r["invoice_zoho_id"], r["zoho_line_item_id"]) for r in lines}) == len(lines)


def test_real_data_quirks_are_handled(fresh_sandbox: SandboxProcess, engine: Engine) -> None:
    fresh_sandbox.faults(duplicate_across_pages=True)
    replicate_all(fresh_sandbox, engine)
    items = {str(i["item_id"]): i for i in fresh_sandbox.records("items")}
    products = {r["zoho_id"]: r for r in all_rows(engine, "products")}
    assert len(products) == len(items)  # the repeated record did not become two rows
    blank = [z for z, i in items.items() if i.get("purchase_rate") == ""]
    assert blank and all(products[z]["purchase_price"] is None for z in blank)
    big = max(products, key=int)
    assert int(big) > 2**53 and big in items  # ids kept as exact text
    lines = all_rows(engine, "invoice_line_items")
    truth = {
        str(li["line_item_id"]): li
        for inv in fresh_sandbox.records("invoices") for li in inv["line_items"]
    }  # fmt: skip
    pct = [r for r in lines if isinstance(truth[r["zoho_line_item_id"]]["tax_percentage"], str)
           and truth[r["zoho_line_item_id"]]["tax_percentage"].endswith("%")]  # fmt: skip
    assert pct, "the sandbox should send some tax_percentage as '5%'"
    for row in pct:
        expected = Decimal(truth[row["zoho_line_item_id"]]["tax_percentage"].rstrip("%"))
        assert Decimal(str(row["tax_percentage"])) == expected
    empty_discount = [r for r in lines if truth[r["zoho_line_item_id"]].get("discount") == ""]
    assert empty_discount and all(r["discount"] is None for r in empty_discount)
    stamps = [r["zoho_last_modified_time"] for r in products.values()]
    assert all(s is not None and s.tzinfo is not None for s in stamps)
