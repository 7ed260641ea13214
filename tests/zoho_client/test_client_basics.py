"""Paging, counting, filters, errors and Books-first against the sandbox."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tsh_db.schema import zoho_oauth_tokens
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoAPIError, ZohoClient
from tsh_pipelines.zoho.catalog import fetch_item, item_details
from tsh_pipelines.zoho.timefmt import format_zoho_time, parse_zoho_time
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

BAGHDAD = ZoneInfo("Asia/Baghdad")


def calls(sandbox: SandboxProcess, api: str) -> int:
    return sum(
        sum(by_status.values()) for by_status in sandbox.stats()["calls"].get(api, {}).values()
    )


def test_paging_lists_every_item_once_with_200_per_page(fresh_sandbox, engine: Engine) -> None:
    truth = {r["item_id"] for r in fresh_sandbox.records("items") if r.get("source") == "books"}
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        pages = list(client.pages(BOOKS, "items", "items", "item_id", {"filter_by": "Status.All"}))
    ids = [str(r["item_id"]) for page in pages for r in page]
    assert len(ids) == len(set(ids)) == len(truth)
    assert set(ids) == {str(t) for t in truth}
    assert len(pages) == -(-len(truth) // 200)
    assert client.stats.by_api() == {"books": {"ok": len(pages)}}


def test_duplicates_across_pages_are_dropped(fresh_sandbox, engine: Engine) -> None:
    fresh_sandbox.faults(duplicate_across_pages=True)
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        ids = [
            r["contact_id"]
            for p in client.pages(BOOKS, "contacts", "contacts", "contact_id")
            for r in p
        ]
    assert len(ids) == len(set(ids)) == len(fresh_sandbox.records("contacts"))


def test_count_is_one_call(fresh_sandbox, engine: Engine) -> None:
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        total = client.count(BOOKS, "invoices", "invoices", "invoice_id")
    assert total == len(fresh_sandbox.records("invoices"))
    assert client.stats.total == 1


def test_last_modified_filter_sends_the_offset_encoded(fresh_sandbox, engine: Engine) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    changed = fresh_sandbox.mutate("invoices", "update", count=3)["records"]
    since = format_zoho_time(before, BAGHDAD)
    assert since.endswith("+0300")
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        got = [
            r["invoice_id"]
            for p in client.pages(
                BOOKS, "invoices", "invoices", "invoice_id", {"last_modified_time": since}
            )
            for r in p
        ]
    assert sorted(got) == sorted(r["id"] for r in changed)


def test_other_4xx_is_an_error_with_everything_but_secrets(fresh_sandbox, engine: Engine) -> None:
    with (
        ZohoClient(settings_for(fresh_sandbox), engine) as client,
        pytest.raises(ZohoAPIError) as err,
    ):
        client.get(BOOKS, "items", {"filter_by": "Status.Bogus"})
    e = err.value
    assert (e.status, e.code, e.api, e.endpoint) == (400, 2, "books", "items")
    assert e.params["filter_by"] == "Status.Bogus"
    assert "filter_by" in e.message
    assert client.stats.total == 1  # no retry for a bad parameter
    assert DEMO_CREDENTIALS["client_secret"] not in str(e)


def test_not_found_names_entity(fresh_sandbox, engine: Engine) -> None:
    with (
        ZohoClient(settings_for(fresh_sandbox), engine) as client,
        pytest.raises(ZohoAPIError) as err,
    ):
        client.get(BOOKS, "invoices/999999999999999999")
    assert (err.value.status, err.value.code) == (404, 1002)


def test_books_first_spends_no_inventory_call_on_a_books_item(
    fresh_sandbox, engine: Engine
) -> None:
    records = fresh_sandbox.records("items")
    books_item = next(r for r in records if r.get("source") == "books")
    inventory_only = next(r for r in records if r.get("source") == "inventory")
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        record, source = fetch_item(client, str(books_item["item_id"]))
        assert (str(record["item_id"]), source) == (str(books_item["item_id"]), BOOKS)
        assert calls(fresh_sandbox, "inventory") == 0
        record, source = fetch_item(client, str(inventory_only["item_id"]))
    assert (str(record["item_id"]), source) == (str(inventory_only["item_id"]), INVENTORY)
    assert calls(fresh_sandbox, "inventory") == 1
    assert calls(fresh_sandbox, "books") == 2


def test_item_details_batches_a_hundred_ids_per_call(fresh_sandbox, engine: Engine) -> None:
    items = fresh_sandbox.records("items")
    ids = [str(r["item_id"]) for r in items if r.get("source") == "books"]
    assert len(ids) > 100
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        got = [str(r["item_id"]) for r in item_details(client, ids)]
    assert sorted(got) == sorted(ids)
    assert client.stats.total == -(-len(ids) // 100)


def test_no_secret_or_token_reaches_the_logs(fresh_sandbox, engine: Engine, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(fresh_sandbox, log_every_calls=1)
    with ZohoClient(settings, engine) as client:
        list(client.pages(BOOKS, "items", "items", "item_id"))
        fresh_sandbox.faults(revoke_tokens=True)
        client.get(BOOKS, "contacts")  # forces a refresh after a 401
    with engine.connect() as conn:
        token = conn.scalar(select(zoho_oauth_tokens.c.access_token))
    assert token and client.tokens.refreshes == 2
    assert "Zoho calls" in caplog.text
    for secret in (token, settings.client_secret, settings.refresh_token):
        assert secret not in caplog.text


def test_zoho_timestamps_parse_timezone_aware() -> None:
    moment = parse_zoho_time("2026-06-11T17:38:06+0300")
    assert moment == datetime(2026, 6, 11, 14, 38, 6, tzinfo=UTC)
    assert parse_zoho_time("2013-01-24") == datetime(2013, 1, 24, tzinfo=UTC)
    assert parse_zoho_time("") is None
    assert format_zoho_time(moment, BAGHDAD) == "2026-06-11T17:38:06+0300"
    assert format_zoho_time(moment, ZoneInfo("America/Los_Angeles")) == "2026-06-11T07:38:06-0700"
