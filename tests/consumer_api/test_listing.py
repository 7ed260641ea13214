"""Paging, search, category, parameter validation and the one-query-per-listing budget."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.consumer_api.catalogue import VISIBLE, VISIBLE_SORTED, AppClient, pid

LISTING = "/api/consumer/products"


def listing(client: AppClient, **params: object) -> dict:
    response = client.get(LISTING, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def names(client: AppClient, **params: object) -> list[str]:
    return [i["name"] for i in listing(client, per_page=100, **params)["items"]]


def test_pages_are_stable_and_report_the_total(client: AppClient) -> None:
    seen = []
    for page in range(1, -(-len(VISIBLE) // 3) + 1):
        body = listing(client, page=page, per_page=3)
        assert (body["page"], body["per_page"], body["total"]) == (page, 3, len(VISIBLE))
        seen += [i["id"] for i in body["items"]]
    assert seen == [pid(VISIBLE[k][0]) for k in VISIBLE_SORTED]
    assert listing(client)["per_page"] == 20  # the default


def test_a_page_past_the_end_is_empty_but_keeps_the_total(client: AppClient) -> None:
    body = listing(client, page=50, per_page=10)
    assert body == {
        "items": [], "page": 50, "per_page": 10, "total": len(VISIBLE), "next_cursor": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("fan", ["Ceiling Fan 56in"]),
        ("CEILING", ["Ceiling Fan 56in"]),
        ("tsh-cool", ["Desert Air Cooler"]),  # SKU, any case
        ("%", ["100% Cotton Towel"]),  # a literal percent sign, not "anything"
        ("_", ["100% Cotton Towel", "Cable_2m USB"]),  # name or SKU (TSH-TWL_100)
        ("ceiling_fan", []),  # "_" is not a single-character wildcard
        ("'", ["O'Brien Desk Lamp"]),
        ("o'brien", ["O'Brien Desk Lamp"]),
        ("\\", ["Back\\Slash Adapter"]),  # the escape character itself
        ('"', []),
        ("' OR 1=1 --", []),
        ("x'); DROP TABLE products; --", []),
        ("hidden", []),  # hidden products stay hidden when searched for by name
        ("   ", None),  # blank means no search
    ],
)
def test_search_is_literal_text(client: AppClient, search: str, expected: list | None) -> None:
    found = names(client, search=search)
    assert found == (expected if expected is not None else names(client))
    assert len(names(client)) == len(VISIBLE)  # and nothing was dropped


def test_category_filter_is_exact(client: AppClient) -> None:
    assert names(client, category="Home") == [
        "100% Cotton Towel", "Kettle Steel", "O'Brien Desk Lamp",
    ]  # fmt: skip
    assert listing(client, category="Fans")["total"] == 1  # the hidden "Fans" stay hidden
    assert names(client, category="home") == []
    assert names(client, category="Home", search="lamp") == ["O'Brien Desk Lamp"]


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 101},
        {"per_page": 0},
        {"page": 0},
        {"page": -1},
        {"page": "two"},
        {"page": 10**6},
        {"search": "x" * 101},
        {"sort": "cheapest"},
        {"min_price": -1},
        {"max_price": "lots"},
        {"cursor": "not-a-cursor"},
        {"cursor": "x" * 1025},
    ],
)
def test_bad_parameters_are_422_with_the_reason(client: AppClient, params: dict) -> None:
    response = client.get(LISTING, params=params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", next(iter(params))]


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        # SQLite's engine issues its own BEGIN: count only the statements that read data.
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"page": 2, "per_page": 3},
        {"search": "a", "category": "Home"},
        {"page": 99},
        {"sort": "price_desc", "min_price": 1000},
    ],
)
def test_one_query_per_listing(make_client: Callable[..., AppClient], params: dict) -> None:
    # No response cache, and a version read once: what is left is the listing itself.
    client = make_client(response_cache_size=0, version_ttl_ms=60_000)
    engine = client.app.state.engine
    listing(client)  # warm up: first connects may run dialect set-up queries
    with count_queries(engine) as statements:
        body = listing(client, **params)
    assert len(statements) == 1, statements
    assert body["total"] > 0
