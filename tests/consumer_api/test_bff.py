"""The Flutter app's contract on /api/bff/mobile/consumer/...: the app's own paging and
casts read every visible product; same rules, caching and statements as /api/consumer."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.consumer_api.catalogue import HIDDEN, VISIBLE, AppClient, pid
from tests.images.flutter_app import (
    PREFIX,
    CastError,
    Product,
    read_catalogue,
    read_categories,
    read_product,
)

LIST = f"{PREFIX}/products"


@pytest.mark.parametrize("limit", [5, 100])
def test_the_app_pages_and_parses_every_visible_product(client: AppClient, limit: int) -> None:
    products = read_catalogue(client, limit=limit)
    assert sorted(p.id for p in products) == sorted(pid(n) for n, *_ in VISIBLE.values())
    by_id = {p.id: p for p in products}
    for n, name, sku, category, stock, price in VISIBLE.values():
        p = by_id[pid(n)]
        assert (p.zoho_item_id, p.name, p.sku, p.category) == (pid(n), name, sku, category)
        assert (p.stock_quantity, p.actual_available_stock) == (stock, stock)
        assert (p.price, p.currency, p.pricelist_name) == (float(price), "IQD", "consumer_iqd")
        assert p.is_active is True and p.last_synced and p.updated_at
        assert p.picture is None  # no picture stored in this catalogue: null, no broken link
    assert by_id[pid(8)].created_at is None  # Zoho gave the kettle no created time


def test_pages_say_where_they_are(client: AppClient) -> None:
    first = client.get(LIST, params={"skip": 0, "limit": 5}).json()
    last = client.get(LIST, params={"skip": 10, "limit": 5}).json()
    past = client.get(LIST, params={"skip": 50, "limit": 5}).json()
    assert (first["count"], first["total"], first["pagination"]) == (
        5, len(VISIBLE), {"has_more": True, "skip": 0, "limit": 5},
    )  # fmt: skip
    assert (last["count"], last["pagination"]["has_more"]) == (len(VISIBLE) - 10, False)
    assert (past["items"], past["total"], past["pagination"]["has_more"]) == (
        [], len(VISIBLE), False,
    )  # fmt: skip


def test_stock_is_a_json_integer_and_ids_are_strings(client: AppClient) -> None:
    raw = client.get(LIST, params={"limit": 100}).text
    stocks = re.findall(r'"(?:stock_quantity|actual_available_stock)":([^,}]+)', raw)
    assert len(stocks) == 2 * len(VISIBLE) and all(s.isdigit() for s in stocks), stocks
    assert re.findall(r'"id":"(\d+)"', raw)  # 4815000000000000001 is above 2^53


def test_the_parser_is_as_strict_as_dart() -> None:
    good = {"id": "1", "zoho_item_id": "1", "name": "Fan", "stock_quantity": 12}
    assert Product.from_json(good).stock_quantity == 12
    for bad in ({**good, "stock_quantity": 12.0}, {**good, "id": 1}, {**good, "is_active": 1},
                {k: v for k, v in good.items() if k != "zoho_item_id"}):  # fmt: skip
        with pytest.raises(CastError):
            Product.from_json(bad)


def test_search_and_category_filter_like_the_consumer_listing(client: AppClient) -> None:
    assert [p.name for p in read_catalogue(client, search="fan")] == ["Ceiling Fan 56in"]
    home = read_catalogue(client, category="Home")
    expected = [k for k in VISIBLE.values() if k[3] == "Home"]
    assert sorted(p.name for p in home) == sorted(k[1] for k in expected)


def test_detail_and_categories_shapes(client: AppClient) -> None:
    fan = read_product(client, pid(1))
    assert (fan.id, fan.price, fan.stock_quantity) == (pid(1), 15000.0, 50)
    assert read_categories(client) == sorted({k[3] for k in VISIBLE.values()})
    for n, *_ in HIDDEN.values():
        missing = client.get(f"{LIST}/{pid(n)}")
        assert missing.status_code == 404 and "not available" in missing.json()["detail"]


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"skip": -1}, {"skip": "x"}])
def test_bad_paging_is_a_422_naming_it(client: AppClient, params: dict) -> None:
    response = client.get(LIST, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_etags_304_and_the_cache_work_on_the_new_paths(client: AppClient) -> None:
    paths = [LIST, f"{LIST}/{pid(1)}", f"{PREFIX}/categories"]
    for path in paths:
        first = client.get(path)
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
    other = client.get("/api/consumer/products")
    assert other.headers["etag"] != client.get(LIST).headers["etag"]  # two response models


def test_a_cdn_base_url_adds_cdn_image_url_and_changes_the_etag(
    make_client: Callable[..., AppClient],
) -> None:
    plain, cdn = make_client(), make_client(cdn_base_url="https://cdn.tsh.example")
    assert plain.get(LIST).headers["etag"] != cdn.get(LIST).headers["etag"]


def test_both_contracts_are_in_the_openapi_document(client: AppClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {LIST, f"{LIST}/{{product_id}}", f"{PREFIX}/categories", "/api/consumer/products",
            "/api/consumer/categories"} <= set(schema["paths"])  # fmt: skip
    app_product = schema["components"]["schemas"]["AppProduct"]["properties"]
    assert app_product["stock_quantity"]["type"] == "integer"
    assert app_product["id"]["type"] == "string"
    listing = schema["paths"][LIST]["get"]["parameters"]
    limit = next(p for p in listing if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 100


def test_pictures_are_404_not_500_before_the_first_is_stored(
    make_client: Callable[..., AppClient], tmp_path: Path
) -> None:
    client = make_client(image_dir=tmp_path / "not-yet")
    assert client.get("/media/ab/" + "ab" * 32 + "/list.webp").status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404
