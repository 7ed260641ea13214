"""Keyset cursors, sort orders, price and category filters, and the categories endpoint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import update

from tests.consumer_api.catalogue import NO_CREATED_TIME, VISIBLE, AppClient, pid
from tsh_db.engine import get_engine
from tsh_db.schema import products
from tsh_pipelines.sync.catalog import refresh_catalog

LISTING = "/api/consumer/products"
PRICE = {pid(n): Decimal(p) for n, *_, p in VISIBLE.values()}
NAME = {pid(n): name for n, name, *_ in VISIBLE.values()}
CATEGORY = {pid(n): cat for n, _, _, cat, *_ in VISIBLE.values()}


def walk(client: AppClient, per_page: int, **params: object) -> list[str]:
    """Every id of a listing, following next_cursor from the first page."""
    ids: list[str] = []
    query: dict[str, object] = {"per_page": per_page, **params}
    while True:
        response = client.get(LISTING, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["page"] == (1 if "cursor" not in query else None)
        ids += [i["id"] for i in body["items"]]
        if body["next_cursor"] is None:
            return ids
        query = {"per_page": per_page, **params, "cursor": body["next_cursor"]}


EXPECTED_ORDER = {
    "name": sorted(NAME, key=lambda i: (NAME[i], i)),
    "price_asc": sorted(PRICE, key=lambda i: (PRICE[i], i)),
    "price_desc": sorted(PRICE, key=lambda i: (PRICE[i], i), reverse=True),
    # created NOW - n days: newest is n ascending; no created time sorts last
    "newest": sorted(PRICE, key=lambda i: (i == pid(NO_CREATED_TIME), int(i[-2:]))),
}


@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
@pytest.mark.parametrize("per_page", [1, 5, 100])
def test_cursor_walks_give_every_product_once_in_order(
    client: AppClient, sort: str, per_page: int
) -> None:
    assert walk(client, per_page, sort=sort) == EXPECTED_ORDER[sort]


def test_page_numbers_and_cursors_agree(client: AppClient) -> None:
    by_page = [
        i["id"]
        for page in (1, 2, 3)
        for i in client.get(
            LISTING, params={"sort": "price_asc", "per_page": 4, "page": page}
        ).json()["items"]
    ]
    assert by_page == walk(client, 4, sort="price_asc") == EXPECTED_ORDER["price_asc"]


def test_a_cursor_continues_after_its_item_while_the_catalogue_changes(
    catalogue_url: str, make_client: Callable[..., AppClient]
) -> None:
    client = make_client(version_ttl_ms=0)
    first = client.get(LISTING, params={"per_page": 4}).json()
    shown = [i["id"] for i in first["items"]]
    order = EXPECTED_ORDER["name"]
    assert shown == order[:4]
    # the first product shown goes, and one of the unseen ones moves ahead of the cursor
    gone, moved = shown[0], order[6]
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(update(products).where(products.c.zoho_id == gone).values(is_active=False))
        conn.execute(update(products).where(products.c.zoho_id == moved).values(name="!first"))
        refresh_catalog(conn, [gone, moved])
    rest = client.get(LISTING, params={"per_page": 100, "cursor": first["next_cursor"]}).json()
    # nothing repeated, nothing skipped of what still sorts after the last item shown
    assert [i["id"] for i in rest["items"]] == [i for i in order[4:] if i != moved]
    assert rest["total"] == len(VISIBLE) - 1


def test_price_range_filter_is_inclusive(client: AppClient) -> None:
    body = client.get(
        LISTING, params={"min_price": 5000, "max_price": "15000", "per_page": 100}
    ).json()
    wanted = {i for i, p in PRICE.items() if 5000 <= p <= 15000}
    assert {i["id"] for i in body["items"]} == wanted and body["total"] == len(wanted)
    assert {pid(1), pid(9)} <= wanted  # 15,000 and 5,000 exactly
    cheap = walk(client, 2, max_price=4000, sort="price_desc")
    assert cheap == [i for i in EXPECTED_ORDER["price_desc"] if PRICE[i] <= 4000]


def test_category_filter_with_sort_and_cursor(client: AppClient) -> None:
    walked = walk(client, 1, category="Electrical", sort="price_asc")
    electrical = [i for i in EXPECTED_ORDER["price_asc"] if CATEGORY[i] == "Electrical"]
    assert walked == electrical and len(walked) == 4


def test_categories_list_names_and_counts(client: AppClient) -> None:
    response = client.get("/api/consumer/categories")
    assert response.status_code == 200
    counts = Counter(CATEGORY.values())
    assert response.json() == {
        "items": [{"name": c, "product_count": counts[c]} for c in sorted(counts)]
    }
    again = client.get(
        "/api/consumer/categories", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def _error(client: AppClient, **params: object) -> dict:
    response = client.get(LISTING, params=params)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return error


def test_cross_parameter_mistakes_are_422_naming_the_parameter(client: AppClient) -> None:
    cursor = client.get(LISTING, params={"per_page": 2}).json()["next_cursor"]
    cases = [
        ({"cursor": cursor, "page": 2}, "cursor", "either page or cursor"),
        ({"cursor": cursor, "sort": "price_asc"}, "cursor", "other filters or another sort"),
        ({"cursor": cursor, "search": "fan"}, "cursor", "other filters or another sort"),
        ({"cursor": cursor[:-3]}, "cursor", "not a cursor this API issued"),
        ({"cursor": "eyJhIjoxfQ"}, "cursor", "not a cursor this API issued"),
        ({"min_price": 10, "max_price": 5}, "min_price", "not be above max_price"),
        ({"sort": "relevance"}, "sort", "needs a search"),
    ]
    for params, name, message in cases:
        error = _error(client, **params)
        assert error["loc"] == ["query", name], params
        assert message in error["msg"], params
