"""Chaos: Zoho moving under a listing, between the pages a client reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Zoho, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

GENERATED_END = "2026-06-30T23:59:59+0300"


@pytest.fixture(scope="module")
def chaotic() -> Iterator[SandboxProcess]:
    with SandboxProcess(**SMALL, books_rpm=100_000, inventory_rpm=100_000) as sb:
        yield sb


@pytest.fixture
def zoho(chaotic: SandboxProcess) -> Iterator[Zoho]:
    chaotic.reset()  # every test starts from the seed world, chaos off, counters at zero
    client = Zoho(chaotic.url)
    client.login()
    yield client
    chaotic.stop_chaos()


def _pages(zoho: Zoho, path: str, key: str, per_page: int, **params: Any) -> list[list[dict]]:
    """A naive offset pager: page 1, 2, ... until has_more_page is false."""
    pages, page = [], 1
    while True:
        body = zoho.ok(path, page=page, per_page=per_page, **params)
        pages.append(body[key])
        if not body["page_context"]["has_more_page"]:
            return pages
        page += 1


def _ids(pages: list[list[dict]], key: str = "invoice_id") -> list[str]:
    return [str(r[key]) for page in pages for r in page]


def test_deletes_make_an_offset_pager_miss_live_records(
    zoho: Zoho, chaotic: SandboxProcess
) -> None:
    chaotic.chaos(seed=3, rate=1.0, actions=["delete"], entities=["invoices"])
    pages = _pages(zoho, "/books/v3/invoices", "invoices", 25)
    chaotic.stop_chaos()
    listed = _ids(pages)
    live = {r["invoice_id"] for r in chaotic.records("invoices")}
    deleted = chaotic.stats()["chaos"]["deleted"]["invoices"]
    assert len(deleted) == len(pages)  # rate 1: one delete after every page
    # each delete hit a record already read, so it cost the pager the next page's first one
    assert set(deleted) <= set(listed)
    assert not set(deleted) & live
    missed = live - set(listed)
    assert len(missed) == len(pages) - 1
    assert len(listed) == len(set(listed))  # deletes shift records up: nothing seen twice


def test_updates_hit_records_already_served(zoho: Zoho, chaotic: SandboxProcess) -> None:
    chaotic.chaos(seed=4, rate=1.0, actions=["update"], entities=["invoices"])
    pages = _pages(zoho, "/books/v3/invoices", "invoices", 50)
    chaotic.stop_chaos()
    seen = {r["invoice_id"]: r["last_modified_time"] for page in pages for r in page}
    now = {r["invoice_id"]: r["last_modified_time"] for r in chaotic.records("invoices")}
    assert set(seen) == set(now)  # created-time order: updates move nothing, lose nothing
    stale = {rid for rid in seen if seen[rid] != now[rid]}
    updated = set(chaotic.stats()["chaos"]["updated"]["invoices"])
    assert stale and stale == updated  # the pager's copies of these are out of date
    assert all(now[rid] > GENERATED_END for rid in stale)


def test_creates_make_a_pager_see_records_twice(zoho: Zoho, chaotic: SandboxProcess) -> None:
    chaotic.chaos(seed=5, rate=1.0, actions=["create"], entities=["invoices"])
    pages = _pages(zoho, "/books/v3/invoices", "invoices", 40)
    chaotic.stop_chaos()
    listed = _ids(pages)
    created = chaotic.stats()["chaos"]["created"]["invoices"]
    assert len(created) == len(pages)
    # newest first: each new invoice lands on page 1 and pushes one record onto the next page
    assert len(listed) - len(set(listed)) == len(pages) - 1
    for prev, nxt in zip(pages, pages[1:], strict=False):
        assert prev[-1]["invoice_id"] == nxt[0]["invoice_id"]
    live = {r["invoice_id"] for r in chaotic.records("invoices")}
    assert set(created) <= live and not set(created) & set(listed)


def test_stock_chaos_moves_served_items(zoho: Zoho, chaotic: SandboxProcess) -> None:
    # a hand stock move bumps the item only with the switch on (default off since issue 23)
    chaotic.switches(stock_moves_bump_modified=True)
    chaotic.chaos(seed=6, rate=1.0, entities=["stock"])  # stock only updates
    served = {str(i["item_id"]) for i in zoho.ok("/inventory/v1/items", per_page=10)["items"]}
    chaotic.stop_chaos()
    stats = chaotic.stats()["chaos"]
    assert stats["counts"] == {"stock": {"update": 1}}
    (rid,) = stats["updated"]["stock"]
    assert rid in served
    item = zoho.ok(f"/inventory/v1/items/{rid}")["item"]
    assert item["last_modified_time"] > GENERATED_END


def _scenario(zoho: Zoho) -> None:
    """A fixed mix of lists and details across entities, Books and Inventory."""
    for path in ("items", "contacts", "bills", "pricebooks", "creditnotes"):
        zoho.ok(f"/books/v3/{path}", per_page=20)
    for page in (1, 2, 3):
        first = zoho.ok("/books/v3/invoices", per_page=30, page=page)["invoices"][0]
        zoho.get(f"/books/v3/invoices/{first['invoice_id']}")  # may be gone: 404 is fine
    zoho.ok("/inventory/v1/items", per_page=20)
    zoho.ok("/books/v3/salesorders", per_page=20)


def test_stats_count_what_chaos_did_and_replay_with_the_seed(
    zoho: Zoho, chaotic: SandboxProcess
) -> None:
    on = chaotic.chaos(seed=11, rate=2.5)["chaos"]
    assert on["enabled"] and on["rate"] == 2.5 and len(on["entities"]) == 10
    assert on["actions"] == ["create", "update", "delete"]
    _scenario(zoho)
    first = chaotic.stats()["chaos"]
    assert first["calls"] == 13
    assert 2 * 13 <= first["mutations"] <= 3 * 13  # floor(2.5) each call, plus half a one
    assert first["mutations"] == sum(n for by in first["counts"].values() for n in by.values())
    for entity, by in first["counts"].items():
        for action, n in by.items():
            done = {"create": "created", "update": "updated", "delete": "deleted"}[action]
            assert len(first[done][entity]) == n
    assert len(first["counts"]) >= 4  # all entities were allowed: several moved
    # deleted ids are gone, created ones (unless deleted again) are live
    for entity in ("invoices", "contacts", "items"):
        live = {r[f"{entity[:-1]}_id"] for r in chaotic.records(entity)}
        gone = set(first["deleted"].get(entity, []))
        assert not gone & live
        assert set(first["created"].get(entity, [])) - gone <= live
    for rid in first["deleted"].get("invoices", [])[:3]:
        assert_zoho_error(zoho.get(f"/books/v3/invoices/{rid}"), 404, 1002)
    chaotic.stop_chaos()

    chaotic.reset()  # same seed and same calls: the same mutations
    zoho.login()
    chaotic.chaos(seed=11, rate=2.5)
    _scenario(zoho)
    again = chaotic.stats()["chaos"]
    for part in ("counts", "created", "updated", "deleted", "mutations"):
        assert again[part] == first[part], part


def test_only_zoho_calls_trigger_chaos(zoho: Zoho, chaotic: SandboxProcess) -> None:
    chaotic.chaos(seed=1, rate=3, actions=["create"], entities=["contacts"])
    zoho.login()
    chaotic.records("contacts")
    chaotic.stats()
    chaotic.mutate("items", "update")
    assert chaotic.stats()["chaos"]["mutations"] == 0
    assert_zoho_error(zoho.get("/books/v3/contacts", token="nonsense"), 401, 57)
    assert chaotic.stats()["chaos"]["mutations"] == 0  # refused before the API answered
    zoho.ok("/books/v3/contacts")
    assert chaotic.stats()["chaos"]["counts"] == {"contacts": {"create": 3}}


def test_empty_body_stops_chaos(zoho: Zoho, chaotic: SandboxProcess) -> None:
    chaotic.chaos(seed=2, rate=1.0, actions=["delete"], entities=["bills"])
    zoho.ok("/books/v3/bills")
    assert chaotic.stats()["chaos"]["counts"] == {"bills": {"delete": 1}}
    off = chaotic.chaos()["chaos"]
    assert off["enabled"] is False
    before = chaotic.stats()
    for _ in range(5):
        zoho.ok("/books/v3/bills")
    after = chaotic.stats()
    assert after["record_counts"] == before["record_counts"]
    assert after["chaos"]["counts"] == {"bills": {"delete": 1}}  # kept after stopping
    assert after["chaos"]["calls"] == before["chaos"]["calls"]
    chaotic.reset()
    assert chaotic.stats()["chaos"]["mutations"] == 0


def test_bad_chaos_settings_are_refused(chaotic: SandboxProcess) -> None:
    chaotic.reset()
    http = chaotic._client
    for body in (
        {"actions": ["explode"]},
        {"entities": ["journals"]},
        {"rate": -1},
        {"rate": "often"},
        {"entities": ["stock"], "actions": ["delete"]},
        {"actions": "delete"},
    ):
        assert http.post("/_sandbox/chaos", json=body).status_code == 400, body
    assert chaotic.stats()["chaos"]["enabled"] is False


def test_chaos_deletes_and_creates_price_books(zoho: Zoho, chaotic: SandboxProcess) -> None:
    start = {b["name"]: b["pricebook_id"] for b in zoho.ok("/books/v3/pricebooks")["pricebooks"]}
    chaotic.chaos(seed=8, rate=1.0, actions=["delete", "create"], entities=["pricebooks"])
    seen = []
    for _ in range(8):
        seen += zoho.ok("/books/v3/pricebooks")["pricebooks"]
    chaotic.stop_chaos()
    stats = chaotic.stats()["chaos"]
    by = stats["counts"]["pricebooks"]
    assert by.get("delete", 0) >= 1 and by.get("create", 0) >= 1
    # with this seed chaos deletes Consumer and later brings it back: same name, new id
    consumers = {b["pricebook_id"]: b for b in seen if b["name"] == "Consumer"}
    assert start["Consumer"] in consumers and len(consumers) == 2
    assert all(b["currency_code"] == "IQD" for b in consumers.values())
    books = {b["pricebook_id"] for b in zoho.ok("/books/v3/pricebooks")["pricebooks"]}
    assert len(books) == 2 + by["create"] - by["delete"] >= 1  # never emptied
    assert set(stats["created"]["pricebooks"]) - set(stats["deleted"]["pricebooks"]) <= books
    assert not set(stats["deleted"]["pricebooks"]) & books
