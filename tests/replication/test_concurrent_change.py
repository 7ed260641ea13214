"""Zoho changes while a listing runs: no edit or delete is lost, no live row is deleted.

Each test reproduces one way the replica used to diverge from Zoho (issue 12, cases 1-4),
with the sandbox changed at the exact moment of a listing that real Zoho would change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, live_rows, log, replicate_all
from tests.replication.moving import sync
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import invoices, products
from tsh_db.types import utcnow
from tsh_db.writes import tombstone
from tsh_pipelines.sync import replicate
from tsh_pipelines.sync.deletes import DeleteShareExceeded
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import stock_values, write_stock
from tsh_pipelines.sync.replicate import FULL_REFRESH
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.timefmt import parse_zoho_time
from zoho_sandbox.process import SandboxProcess


def versions(sandbox: SandboxProcess, entity: str, id_field: str) -> dict[str, object]:
    return {r[id_field]: parse_zoho_time(r["last_modified_time"]) for r in sandbox.records(entity)}


def test_edit_of_an_already_read_page_is_listed_again(
    fresh_sandbox: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case 1. X (page 1) is edited after page 1 was read, Y (page 2) a second later: the
    newest time seen is Y's, so a cursor set to it would never list X again. The read-side
    overlap is switched off to show the cursor bound alone is enough."""
    monkeypatch.setattr(replicate, "OVERLAP", timedelta(0))
    sync(fresh_sandbox, engine, "invoices")
    changed = [r["id"] for r in fresh_sandbox.mutate("invoices", "update", count=230)["records"]]
    picked: dict[str, str] = {}

    def hook(endpoint: str, number: int, records: list[dict]) -> None:
        if endpoint == "invoices" and number == 1 and not picked:
            on_page = {r["invoice_id"] for r in records}
            picked["x"] = next(i for i in changed if i in on_page)
            picked["y"] = next(i for i in changed if i not in on_page)
            time.sleep(1.1)  # Zoho stamps whole seconds: X, then Y strictly later
            fresh_sandbox.mutate("invoices", "update", ids=[picked["x"]])
            time.sleep(1.1)
            fresh_sandbox.mutate("invoices", "update", ids=[picked["y"]])

    totals = sync(fresh_sandbox, engine, "invoices", hook=hook)
    assert totals.pages == 2
    sync(fresh_sandbox, engine, "invoices")  # the next scheduled run
    truth = versions(fresh_sandbox, "invoices", "invoice_id")
    stored = live_rows(engine, "invoices", "zoho_last_modified_time")
    assert stored[picked["x"]][0] == truth[picked["x"]]
    assert stored[picked["y"]][0] == truth[picked["y"]]
    assert {k: v[0] for k, v in stored.items()} == truth


def test_deletes_during_a_full_refresh_delete_only_what_zoho_deleted(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Case 2. Three deletes after page 1 shift every later record up three places: three
    live invoices are never listed. They are asked for by id and stay live."""
    sync(fresh_sandbox, engine, "invoices")
    deleted: list[str] = []

    def hook(endpoint: str, number: int, records: list[dict]) -> None:
        if endpoint == "invoices" and number == 1 and not deleted:
            deleted.extend(r["invoice_id"] for r in records[:3])
            fresh_sandbox.mutate("invoices", "delete", ids=deleted)

    totals = sync(fresh_sandbox, engine, "invoices", FULL_REFRESH, hook=hook)
    assert totals.soft_deleted == 0  # the deleted three were read before they went
    assert totals.extra["missing_but_live"] == 3  # the three the offset shift hid
    truth = {r["invoice_id"] for r in fresh_sandbox.records("invoices")}
    assert set(live_rows(engine, "invoices")) == truth | set(deleted)
    # the next refresh misses the three deleted ones, and Zoho's 404 confirms them
    again = sync(fresh_sandbox, engine, "invoices", FULL_REFRESH)
    assert (again.soft_deleted, again.extra["missing_but_live"]) == (3, 0)
    assert set(live_rows(engine, "invoices")) == truth


def test_an_empty_listing_deletes_nothing_and_fails_clearly(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    sync(fresh_sandbox, engine, "customers")
    before = live_rows(engine, "customers")
    with pytest.raises(DeleteShareExceeded) as failed:
        sync(fresh_sandbox, engine, "customers", FULL_REFRESH,
             hook=lambda endpoint, number, records: [])  # fmt: skip
    message = str(failed.value)
    assert "customers" in message and "ZOHO_MAX_DELETE_SHARE" in message
    assert f"{len(before):,} of {len(before):,}" in message
    assert live_rows(engine, "customers") == before


def _client(sandbox: SandboxProcess, engine: Engine) -> ZohoClient:
    return ZohoClient(settings_for(sandbox, **ROOMY), engine)


def _webhook_between_pages(
    sandbox: SandboxProcess, engine: Engine, action: str, event: str, picked: list[str]
) -> Callable[[str, int, list[dict]], None]:
    """A hook: once page 1 of invoices is served, its first invoice changes in Zoho and the
    webhook (id only: fetched by id) is applied before the sync writes that page."""

    def hook(endpoint: str, number: int, records: list[dict]) -> None:
        if endpoint == "invoices" and number == 1 and not picked:
            picked.append(records[0]["invoice_id"])
            sandbox.mutate("invoices", action, ids=picked)
            with _client(sandbox, engine) as client:
                apply_event(client, engine, "invoices", picked[0], event, None)

    return hook


def test_a_listing_read_before_a_webhook_delete_does_not_revive_the_row(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Case 3. The page is served, then the record is deleted and the webhook applied, then
    the page is written: the tombstone must win."""
    sync(fresh_sandbox, engine, "invoices")
    gone: list[str] = []
    hook = _webhook_between_pages(fresh_sandbox, engine, "delete", "deleted", gone)
    sync(fresh_sandbox, engine, "invoices", FULL_REFRESH, hook=hook)
    assert gone[0] not in live_rows(engine, "invoices")


def test_an_older_edit_delivered_after_the_delete_does_not_revive(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    sync(fresh_sandbox, engine, "customers")
    contact = fresh_sandbox.records("contacts")[0]
    with _client(fresh_sandbox, engine) as client:
        applied = apply_event(client, engine, "customers", contact["contact_id"], "deleted", None)
        assert applied.outcome == "soft_deleted"
        late = apply_event(client, engine, "customers", contact["contact_id"], "edited",
                           {"contact": contact})  # fmt: skip
    assert late.outcome == "stale"
    assert contact["contact_id"] not in live_rows(engine, "customers")


def test_a_page_read_before_a_webhook_edit_does_not_overwrite_it(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    sync(fresh_sandbox, engine, "invoices")
    target: list[str] = []
    hook = _webhook_between_pages(fresh_sandbox, engine, "update", "edited", target)
    sync(fresh_sandbox, engine, "invoices", FULL_REFRESH, hook=hook)
    truth = versions(fresh_sandbox, "invoices", "invoice_id")
    assert (
        live_rows(engine, "invoices", "zoho_last_modified_time")[target[0]][0] == truth[target[0]]
    )


def test_stock_read_earlier_never_overwrites_stock_read_later(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Stock movements may not move last_modified_time: equal versions go to the later read,
    in the UPDATE itself, so two runs cannot interleave."""
    replicate_all(fresh_sandbox, engine)
    item = next(i for i in fresh_sandbox.records("items") if i.get("source") != "inventory")
    zoho_id = str(item["item_id"])
    with engine.connect() as conn:
        stored = conn.execute(select(products).where(products.c.zoho_id == zoho_id)).one()
    same = {"last_modified_time": item["last_modified_time"]}
    later = stock_values(
        {**same, "stock_on_hand": 7, "available_stock": 7, "actual_available_stock": 7},
        stored.stock_synced_at + timedelta(2),
    )
    earlier = stock_values(
        {**same, "stock_on_hand": 1, "available_stock": 1, "actual_available_stock": 1},
        stored.stock_synced_at + timedelta(1),
    )
    with engine.begin() as conn:
        assert write_stock(conn, [{"zoho_id": zoho_id, **later}]) == 1
        assert write_stock(conn, [{"zoho_id": zoho_id, **earlier}]) == 0
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(products.c.actual_available_stock).where(products.c.zoho_id == zoho_id)
            )
            == 7
        )


def _price_lists(engine: Engine) -> dict[str, tuple]:
    return live_rows(engine, "price_lists", "code", "name")


def test_consumer_book_deleted_and_recreated_takes_its_code_back(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Case 4. The code used to be unique across deleted rows: every price sync then failed."""
    with _client(fresh_sandbox, engine) as client:
        sync_price_lists(client, engine, log=log)
        old = next(p for p in fresh_sandbox.records("pricebooks") if p["name"] == "Consumer")
        fresh_sandbox.mutate("pricebooks", "delete", ids=[old["pricebook_id"]])
        created = fresh_sandbox.mutate("pricebooks", "create", fields={"name": "Consumer"})
        new_id = created["records"][0]["id"]
        lists, prices = sync_price_lists(client, engine, log=log)
    assert lists.soft_deleted == 1
    stored = _price_lists(engine)
    assert old["pricebook_id"] not in stored
    assert stored[new_id][0] == "consumer_iqd"
    assert prices.records > 0


def test_renamed_consumer_book_keeps_its_code(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    with _client(fresh_sandbox, engine) as client:
        sync_price_lists(client, engine, log=log)
        book = next(p for p in fresh_sandbox.records("pricebooks") if p["name"] == "Consumer")
        fresh_sandbox.mutate("pricebooks", "update", ids=[book["pricebook_id"]],
                             fields={"name": "Consumer Retail"})  # fmt: skip
        sync_price_lists(client, engine, log=log)
    code, name = _price_lists(engine)[book["pricebook_id"]]
    assert (code, name) == ("consumer_iqd", "Consumer Retail")


def test_tombstones_are_never_older_than_the_version_they_bury(engine: Engine) -> None:
    """A delete stamped before the stored version (clock skew) still keeps that version out."""
    now = utcnow()
    future = now + timedelta(minutes=5)
    with engine.begin() as conn:
        conn.execute(invoices.insert().values(zoho_id="1", zoho_last_modified_time=future,
                                              synced_at=now))  # fmt: skip
        assert tombstone(conn, invoices, ["1"], now) == 1
        assert conn.scalar(select(invoices.c.deleted_at)) == future


def test_a_new_consumer_book_created_before_the_old_ones_delete_takes_the_code(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Webhooks reorder: the new book's "created" can arrive while the old book still holds
    consumer_iqd. It waits under a suffixed code and takes the code when the delete lands."""
    with _client(fresh_sandbox, engine) as client:
        sync_price_lists(client, engine, log=log)
        old = next(p for p in fresh_sandbox.records("pricebooks") if p["name"] == "Consumer")
        fresh_sandbox.mutate("pricebooks", "delete", ids=[old["pricebook_id"]])
        new_id = fresh_sandbox.mutate("pricebooks", "create", fields={"name": "Consumer"})[
            "records"
        ][0]["id"]
        apply_event(client, engine, "price_lists", new_id, "created", None)
        assert _price_lists(engine)[new_id][0] == f"consumer_iqd_{new_id}"
        apply_event(client, engine, "price_lists", old["pricebook_id"], "deleted", None)
    assert _price_lists(engine)[new_id][0] == "consumer_iqd"
