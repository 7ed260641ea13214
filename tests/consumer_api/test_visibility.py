"""Who a consumer sees, at what price: the consumer IQD price list only, never the base price."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.consumer_api.catalogue import HIDDEN, VISIBLE, VISIBLE_SORTED, AppClient, build, pid
from tsh_consumer_api.models import format_iqd
from tsh_db.engine import get_engine
from tsh_db.schema import consumer_catalog, consumer_catalog_state


def all_items(client: AppClient, **params: object) -> list[dict]:
    body = client.get("/api/consumer/products", params={"per_page": 100, **params}).json()
    assert body["total"] == len(body["items"])
    return body["items"]


def test_listing_shows_exactly_the_visible_products(client: AppClient) -> None:
    items = all_items(client)
    assert [i["id"] for i in items] == [pid(VISIBLE[k][0]) for k in VISIBLE_SORTED]
    assert not any(i["name"].startswith("Hidden") for i in items)


@pytest.mark.parametrize("key", sorted(HIDDEN))
def test_hidden_product_is_404_in_detail(client: AppClient, key: str) -> None:
    response = client.get(f"/api/consumer/products/{pid(HIDDEN[key][0])}")
    assert response.status_code == 404
    assert "not available to consumers" in response.json()["detail"]


def test_item_shape_and_price_come_from_the_consumer_list(client: AppClient) -> None:
    fan = client.get(f"/api/consumer/products/{pid(1)}").json()
    assert fan == {
        "id": "4815000000000000001",
        "name": "Ceiling Fan 56in",
        "sku": "TSH-FAN-56",
        "category": "Fans",
        "image_url": None,  # no picture stored for it (tests/images have pictures)
        "thumbnail_url": None,
        "price": 15000,  # not the base price 123456, not the wholesale USD 10
        "currency": "IQD",
        "price_formatted": "15,000 IQD",
        "stock_status": "in_stock",
    }


def test_listing_and_detail_agree(client: AppClient) -> None:
    for item in all_items(client):
        assert client.get(f"/api/consumer/products/{item['id']}").json() == item


def test_price_formatting(client: AppClient) -> None:
    by_id = {i["id"]: i for i in all_items(client)}
    cooler, heater = by_id[pid(2)], by_id[pid(3)]
    assert (cooler["price"], cooler["price_formatted"]) == (1250000, "1,250,000 IQD")
    assert (heater["price"], heater["price_formatted"]) == (99999.5, "99,999.50 IQD")


@pytest.mark.parametrize(
    ("price", "shown"),
    [("15000", "15,000 IQD"), ("1250000.0000", "1,250,000 IQD"), ("750", "750 IQD"),
     ("1000000000", "1,000,000,000 IQD"), ("0.125", "0.13 IQD")],
)  # fmt: skip
def test_format_iqd(price: str, shown: str) -> None:
    assert format_iqd(Decimal(price)) == shown


def test_low_stock_is_flagged_below_the_threshold(client: AppClient) -> None:
    status = {i["id"]: i["stock_status"] for i in all_items(client)}
    assert status[pid(2)] == "low_stock"  # 3 units
    assert status[pid(5)] == "low_stock"  # 9 units
    assert status[pid(3)] == "in_stock"  # exactly 10: the threshold is "below"
    assert status[pid(1)] == "in_stock"


def test_thresholds_come_from_the_rules_the_catalogue_is_built_with(
    catalogue_url: str, make_client: Callable[..., AppClient]
) -> None:
    build(get_engine(catalogue_url), min_stock=10)
    client = make_client(low_stock_threshold=51)
    items = all_items(client)
    assert {i["id"] for i in items} == {
        pid(n) for n, *_, stock, _ in VISIBLE.values() if stock >= 10
    }
    assert {i["stock_status"] for i in items} == {"low_stock", "in_stock"}
    assert [i["stock_status"] for i in items if i["id"] == pid(1)] == ["low_stock"]  # 50 < 51
    assert client.get("/api/consumer/products/" + pid(5)).status_code == 404  # 9 units


def test_min_stock_zero_still_hides_what_has_no_stock_figure(
    catalogue_url: str, client: AppClient
) -> None:
    build(get_engine(catalogue_url), min_stock=0)
    ids = {i["id"] for i in all_items(client)}
    assert {pid(24), pid(25)} <= ids  # 0 and 0.5 units reach 0
    assert pid(26) not in ids  # no stock figure at all: never shown


@pytest.mark.parametrize("code", ["wholesale_usd", "old_consumer_iqd", "no_such_list"])
def test_other_price_lists_never_serve_consumers(
    catalogue_url: str, client: AppClient, code: str
) -> None:
    # The USD wholesale list is not IQD; the old consumer list is soft-deleted.
    build(get_engine(catalogue_url), pricelist_code=code)
    assert all_items(client) == []
    assert client.get("/api/consumer/products/" + pid(1)).status_code == 404


def test_the_catalogue_table_holds_exactly_the_visible_products(catalogue_url: str) -> None:
    with get_engine(catalogue_url).connect() as conn:
        rows = {r.product_zoho_id: r for r in conn.execute(select(consumer_catalog))}
        state = conn.execute(select(consumer_catalog_state)).one()
    assert set(rows) == {pid(v[0]) for v in VISIBLE.values()}
    assert {k: Decimal(rows[pid(v[0])].price) for k, v in VISIBLE.items()} == {
        k: Decimal(v[5]) for k, v in VISIBLE.items()
    }
    assert rows[pid(1)].search_text == "ceiling fan 56in tsh-fan-56"
    assert (state.total, state.pricelist_code, state.min_stock) == (len(VISIBLE), "consumer_iqd", 1)


def test_detail_of_unknown_id_is_404(client: AppClient) -> None:
    assert client.get("/api/consumer/products/does-not-exist").status_code == 404
    assert client.get("/api/consumer/products/" + "9" * 33).status_code == 422
