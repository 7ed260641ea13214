"""The catalogue follows every write in the transaction that makes it: webhooks, syncs, deletes.

The API reads only the catalogue, so each test checks what the API answers (with a version
read on every request, `version_ttl_ms=0`), not just the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.consumer_api.catalogue import CONSUMER, VISIBLE, AppClient, pid
from tsh_db.engine import get_engine
from tsh_db.schema import consumer_catalog, consumer_catalog_state, product_prices, products
from tsh_db.types import utcnow
from tsh_pipelines.sync import catalog_rows
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.products import stock_values, write_stock

DETAIL = "/api/consumer/products/"
LATER = "2026-06-02T10:00:00+0300"  # newer than anything seeded
EARLIER = "2025-01-02T10:00:00+0300"


class _NoZoho:
    """Full payloads: the event path never asks Zoho; a delete reads only its clock."""

    def now(self) -> datetime:
        return utcnow()


NO_ZOHO: Any = _NoZoho()


@pytest.fixture
def api(make_client: Callable[..., AppClient]) -> AppClient:
    return make_client(version_ttl_ms=0)


def consumer_book(rates: dict[str, str]) -> dict:
    """The Consumer price book as a `prices` webhook carries it: every item of the book."""
    items = [{"item_id": i, "pricebook_item_id": f"9{n}", "pricebook_rate": r}
             for n, (i, r) in enumerate(rates.items())]  # fmt: skip
    return {"pricebook": {"pricebook_id": CONSUMER, "name": "Consumer", "currency_code": "IQD",
                          "status": "active", "pricebook_type": "per_item",
                          "created_time": EARLIER, "last_modified_time": LATER,
                          "pricebook_items": items}}  # fmt: skip


def test_a_price_webhook_changes_the_price_the_api_shows(
    catalogue_url: str, api: AppClient
) -> None:
    rates = {pid(n): price for n, *_, price in VISIBLE.values()}
    rates[pid(1)] = "17250"
    applied = apply_event(NO_ZOHO, get_engine(catalogue_url), "price_lists", CONSUMER,
                          "edited", consumer_book(rates))  # fmt: skip
    assert applied.outcome == "upserted"
    fan = api.get(DETAIL + pid(1)).json()
    assert (fan["price"], fan["price_formatted"]) == (17250, "17,250 IQD")
    body = api.get("/api/consumer/products", params={"per_page": 100}).json()
    assert body["total"] == len(VISIBLE) == len(body["items"])


def test_a_price_dropped_from_the_book_hides_the_product(
    catalogue_url: str, api: AppClient
) -> None:
    rates = {pid(n): price for n, *_, price in VISIBLE.values() if n != 2}
    apply_event(NO_ZOHO, get_engine(catalogue_url), "price_lists", CONSUMER, "edited",
                consumer_book(rates))  # fmt: skip
    assert api.get(DETAIL + pid(2)).status_code == 404
    assert api.get("/api/consumer/products").json()["total"] == len(VISIBLE) - 1


def test_a_stock_webhook_to_zero_hides_the_product(catalogue_url: str, api: AppClient) -> None:
    assert api.get(DETAIL + pid(2)).status_code == 200
    stock = {"item_id": pid(2), "stock_on_hand": 0, "available_stock": 0,
             "actual_available_stock": 0, "last_modified_time": LATER,
             "warehouses": [{"warehouse_id": "1", "warehouse_name": "Main",
                             "warehouse_stock_on_hand": 0}]}  # fmt: skip
    applied = apply_event(NO_ZOHO, get_engine(catalogue_url), "product_warehouse_stock", pid(2),
                          "edited", {"item": stock})  # fmt: skip
    assert applied.outcome == "upserted"
    assert api.get(DETAIL + pid(2)).status_code == 404
    listed = api.get("/api/consumer/products", params={"per_page": 100}).json()
    assert pid(2) not in {i["id"] for i in listed["items"]}
    assert listed["total"] == len(VISIBLE) - 1


def test_a_delete_webhook_removes_the_product(catalogue_url: str, api: AppClient) -> None:
    applied = apply_event(NO_ZOHO, get_engine(catalogue_url), "products", pid(3), "deleted", {})
    assert applied.outcome == "soft_deleted"
    assert api.get(DETAIL + pid(3)).status_code == 404
    categories = {c["name"] for c in api.get("/api/consumer/categories").json()["items"]}
    assert "Heaters" not in categories and "Fans" in categories  # its only visible product


def test_a_product_edit_webhook_renames_and_refiles_it(catalogue_url: str, api: AppClient) -> None:
    item = {"item_id": pid(4), "name": "Bath Towel Deluxe", "sku": "TSH-TWL_100",
            "status": "active", "category_name": "Bath", "rate": 1, "purchase_rate": 1,
            "brand": "", "unit": "pcs", "description": "", "created_time": EARLIER,
            "last_modified_time": LATER, "image_name": "", "image_type": "",
            "image_document_id": ""}  # fmt: skip
    apply_event(NO_ZOHO, get_engine(catalogue_url), "products", pid(4), "edited", {"item": item})
    towel = api.get(DETAIL + pid(4)).json()
    assert (towel["name"], towel["category"], towel["price"]) == ("Bath Towel Deluxe", "Bath", 7500)
    found = api.get("/api/consumer/products", params={"search": "deluxe"}).json()["items"]
    assert [i["id"] for i in found] == [pid(4)]
    inactive = {**item, "status": "inactive", "last_modified_time": "2026-06-03T10:00:00+0300"}
    apply_event(NO_ZOHO, get_engine(catalogue_url), "products", pid(4), "edited",
                {"item": inactive})  # fmt: skip
    assert api.get(DETAIL + pid(4)).status_code == 404


def _stock_row(n: int, units: int) -> dict:
    return {"zoho_id": pid(n), **stock_values({"actual_available_stock": units,
                                               "last_modified_time": LATER}, utcnow())}  # fmt: skip


def _catalogue(url: str) -> dict[str, Any]:
    # read-only: on SQLite it does not queue behind a writer for the write lock
    with get_engine(url, read_only=True).connect() as conn:
        rows = {r.product_zoho_id: r for r in conn.execute(select(consumer_catalog))}
        return {"rows": rows, "state": conn.execute(select(consumer_catalog_state)).one()}


def test_the_catalogue_commits_with_the_write_or_not_at_all(
    catalogue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = get_engine(catalogue_url)
    before = _catalogue(catalogue_url)
    with engine.connect() as conn:
        with conn.begin():
            write_stock(conn, [_stock_row(1, 0)])
            # not committed yet: a reader still sees the old stock, in both tables
            assert pid(1) in _catalogue(catalogue_url)["rows"]
        assert pid(1) not in _catalogue(catalogue_url)["rows"]  # committed together
    after = _catalogue(catalogue_url)
    assert after["state"].version == before["state"].version + 1
    assert after["state"].total == before["state"].total - 1

    with pytest.raises(RuntimeError, match="rolled back"), engine.begin() as conn:
        write_stock(conn, [_stock_row(2, 0)])
        raise RuntimeError("rolled back")
    assert pid(2) in _catalogue(catalogue_url)["rows"]  # the write is gone, so is its refresh

    def broken(*_args: Any) -> list:
        raise RuntimeError("refresh failed")

    monkeypatch.setattr(catalog_rows, "derive", broken)
    with pytest.raises(RuntimeError, match="refresh failed"), engine.begin() as conn:
        write_stock(conn, [_stock_row(3, 0)])
    with engine.connect() as conn:  # a failed refresh takes the write down with it
        stock = conn.scalar(
            select(products.c.actual_available_stock).where(products.c.zoho_id == pid(3))
        )
    assert stock == 10


def test_two_writers_of_one_product_leave_its_row_current(pg_url: str) -> None:
    """Stock here, price there, neither seeing the other's write: the one committing last
    derives after the first committed, so the row has both (PostgreSQL: real concurrency)."""
    from tests.consumer_api.catalogue import seed

    engine = get_engine(pg_url)
    seed(engine)
    stock_writer = engine.connect()
    try:
        with stock_writer.begin():
            write_stock(stock_writer, [_stock_row(1, 7)])
            with engine.begin() as price_writer:  # commits first
                price_writer.execute(
                    update(product_prices)
                    .where(product_prices.c.product_zoho_id == pid(1),
                           product_prices.c.price_list_zoho_id == CONSUMER)
                    .values(price=Decimal("16500"))
                )  # fmt: skip
                refresh_catalog(price_writer, [pid(1)])
    finally:
        stock_writer.close()
    row = _catalogue(pg_url)["rows"][pid(1)]
    assert (row.stock, row.price) == (Decimal("7"), Decimal("16500"))


def test_losing_the_consumer_list_empties_the_catalogue(catalogue_url: str, api: AppClient) -> None:
    applied = apply_event(
        NO_ZOHO, get_engine(catalogue_url), "price_lists", CONSUMER, "deleted", {}
    )
    assert applied.outcome == "soft_deleted"
    body = api.get("/api/consumer/products").json()
    assert (body["total"], body["items"]) == (0, [])
    state = _catalogue(catalogue_url)["state"]
    assert (state.price_list_zoho_id, state.total) == (None, 0)


def test_changed_rules_rebuild_at_the_next_write(
    catalogue_url: str, api: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSUMER_MIN_STOCK", "10")
    with get_engine(catalogue_url).begin() as conn:
        write_stock(conn, [_stock_row(7, 1)])  # any write: the refresh sees other rules
    shown = {
        i["id"] for i in api.get("/api/consumer/products", params={"per_page": 100}).json()["items"]
    }
    assert shown == {pid(n) for n, *_, stock, _ in VISIBLE.values() if stock >= 10 and n != 7}
    assert _catalogue(catalogue_url)["state"].min_stock == 10
