"""The sandbox drifting like Zoho may: stock movements and rate edits that leave
`last_modified_time` alone, rates set by hand, and webhooks switched off per entity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, Zoho, wait_for
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.process import SandboxProcess


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def quiet(receiver: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(
        **SMALL, books_rpm=100_000, inventory_rpm=100_000, webhook_url=receiver.url,
        webhook_retries=1, webhook_backoff=0.05,
        stock_moves_bump_modified=False, rate_edits_bump_modified=False,
        stock_item_webhooks=True,
    ) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(quiet: SandboxProcess, receiver: Sink) -> SandboxProcess:
    quiet.reset()
    receiver.clear()
    return quiet


@pytest.fixture
def zoho(sb: SandboxProcess) -> Zoho:
    client = Zoho(sb.url)
    client.login()
    return client


def _item(zoho: Zoho, item_id: str) -> tuple[dict, dict]:
    books = zoho.ok(f"/books/v3/items/{item_id}")["item"]
    listed = zoho.list_all("/inventory/v1/items", "items", filter_by="Status.All")
    return books, next(r for r in listed if str(r["item_id"]) == item_id)


def test_stock_movement_leaves_last_modified_time_alone(sb: SandboxProcess, zoho: Zoho) -> None:
    item_id = sb.records("items")[3]["item_id"]
    books_before, inventory_before = _item(zoho, item_id)
    moved = sb.mutate("stock", "update", ids=[item_id])["records"][0]
    books_after, inventory_after = _item(zoho, item_id)
    assert moved["last_modified_time"] == books_before["last_modified_time"]
    assert books_after["last_modified_time"] == books_before["last_modified_time"]
    assert inventory_after["last_modified_time"] == inventory_before["last_modified_time"]
    assert inventory_after["stock_on_hand"] == moved["stock_on_hand"]
    # a listing of what changed since the generated data ends does not see it
    changed = zoho.list_all("/inventory/v1/items", "items", filter_by="Status.All",
                            last_modified_time="2026-07-01T00:00:00+0300")  # fmt: skip
    assert item_id not in {str(r["item_id"]) for r in changed}


def test_rate_edit_leaves_the_books_version_and_rates_can_be_set(
    sb: SandboxProcess, zoho: Zoho
) -> None:
    consumer = next(b for b in sb.records("pricebooks") if b["name"] == "Consumer")
    book = consumer["pricebook_id"]
    priced = {i["item_id"] for i in consumer["pricebook_items"]}
    unpriced = next(r["item_id"] for r in sb.records("items") if r["item_id"] not in priced)
    changed = sb.mutate("pricebooks", "update", count=2)["records"][0]
    assert len(changed["item_ids"]) == 2
    assert changed["last_modified_time"] == consumer["last_modified_time"]
    first = next(iter(priced))
    sb.mutate("pricebooks", "update", ids=[book], fields={"rates": {first: 1250, unpriced: 99.5}})
    after = zoho.ok(f"/books/v3/pricebooks/{book}")["pricebook"]
    rates = {str(i["item_id"]): i["pricebook_rate"] for i in after["pricebook_items"]}
    assert (rates[first], rates[unpriced]) == (1250, 99.5)
    assert after["last_modified_time"] == consumer["last_modified_time"]
    assert len(rates) == len(priced) + 1
    bad = sb._client.post(
        "/_sandbox/mutate",
        json={"entity": "pricebooks", "action": "update", "fields": {"rates": {"1": 5}}},
    )
    assert bad.status_code == 404 and "no live item" in bad.json()["error"]


def test_webhooks_off_per_entity(sb: SandboxProcess, receiver: Sink) -> None:
    assert sb.webhooks(off=["items", "stock"])["webhooks"]["off"] == ["items", "stock"]
    sb.mutate("items", "update")
    sb.mutate("stock", "update")
    sb.mutate("invoices", "update")
    hooks = wait_for(lambda: (w := sb.stats()["webhooks"])["pending"] == 0 and w)
    assert hooks["silenced"] == 2
    paths = [h["path"] for h in receiver.delivered("/hooks/")]
    assert len(paths) == 1 and paths[0].startswith("/hooks/invoices?")
    bad = sb._client.post("/_sandbox/webhooks", json={"off": ["orders"]})
    assert bad.status_code == 400 and "unknown entity orders" in bad.json()["error"]
    sb.reset()  # back to the start-up policy: every entity fires again
    assert sb.stats()["webhooks"]["policy"]["off"] == []


def test_cli_flags() -> None:
    _, cfg = parse_args(["--stock-moves-bump-modified", "false", "--webhooks-off", "items,stock"])
    assert (cfg.stock_moves_bump_modified, cfg.rate_edits_bump_modified) == (False, True)
    assert cfg.webhooks_off == "items,stock"
    with pytest.raises(SystemExit):
        parse_args(["--rate-edits-bump-modified", "maybe"])
    with pytest.raises(SystemExit):
        parse_args(["--webhooks-off", "orders"])
