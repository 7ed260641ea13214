"""In-process use (create_app) and the store's paging guarantees: pages are slices of sorted
indexes, kept sorted across mutations, so page 1 and page N cost the same."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from starlette.datastructures import QueryParams

from zoho_sandbox import DEMO_CREDENTIALS, SandboxConfig, create_app
from zoho_sandbox.mutations import Mutator
from zoho_sandbox.store import SORT_KEYS, Selection
from zoho_sandbox.world import World
from zoho_sandbox.zoho_api import handle

MEDIUM = SandboxConfig(
    items=2000, invoices=20_000, customers=100, vendors=10, bills=50, creditnotes=50, salesorders=50
)


def test_create_app_in_process() -> None:
    app = create_app(SandboxConfig(items=20, invoices=30, customers=5, vendors=2))

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            grant = await client.post(
                "/oauth/v2/token", params={"grant_type": "refresh_token", **DEMO_CREDENTIALS}
            )
            token = grant.json()["access_token"]
            assert grant.json()["api_domain"] == "http://sandbox"
            resp = await client.get(
                "/books/v3/invoices",
                params={"organization_id": "10234695"},
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
            )
            assert resp.status_code == 200 and len(resp.json()["invoices"]) == 30
            stats = (await client.get("/_sandbox/stats")).json()
            assert stats["calls"]["books"]["invoices"] == {"200": 1}

    asyncio.run(scenario())


def test_selection_is_a_slice_of_an_index() -> None:
    world = World(MEDIUM)
    store = world.stores["invoices"]
    plain = store.select(Selection("books", "Status.All", "created"))
    assert plain[0] is store.index("books", "Status.All", "created").rows
    cutoff = sorted(r.lmt for r in store.rows.values())[15_000]
    rows, lo, hi = store.select(Selection("books", "Status.All", "lmt", lmt=cutoff))
    assert rows is store.index("books", "Status.All", "lmt").rows and lo > 0
    assert all(r.lmt >= cutoff for r in rows[lo:hi]) and rows[lo - 1].lmt < cutoff
    dated = store.select(
        Selection("books", "Status.All", "date", date_start="2025-06-01", date_end="2025-06-30")
    )
    assert dated[0] is store.index("books", "Status.All", "date").rows
    # another sort order: sorted once, then served from the cache
    sel = Selection("books", "Status.All", "created", lmt=cutoff)
    assert store.select(sel)[0] is store.select(sel)[0]


def test_indexes_stay_sorted_across_mutations() -> None:
    world = World(MEDIUM)
    store = world.stores["invoices"]
    for attr in ("created", "lmt", "date", "name"):
        store.index("books", "Status.All", attr)
    store.index("books", "Status.Paid", "lmt")
    mutator = Mutator(world)
    mutator.apply(
        {"entity": "invoices", "action": "update", "count": 40, "fields": {"status": "paid"}}
    )
    mutator.apply({"entity": "invoices", "action": "delete", "count": 25})
    mutator.apply({"entity": "invoices", "action": "create", "count": 10})
    live = list(store.rows.values())
    for (view, filter_by, attr), ix in store._indexes.items():
        member = store._member(view, filter_by)
        key = SORT_KEYS[attr]
        expected = sorted((r for r in live if member(r)), key=lambda r: (key(r), r.id))
        assert ix.rows == expected, (filter_by, attr)


def _page_time(world: World, page: int) -> float:
    params = QueryParams({"page": str(page), "per_page": "200"})
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        status, body = handle(world, "books", "invoices", params, False)
        samples.append(time.perf_counter() - started)
        assert status == 200 and len(body["invoices"]) == 200
    return statistics.median(samples)


def test_last_page_costs_like_the_first() -> None:
    world = World(MEDIUM)
    _page_time(world, 1)  # builds the index once
    first, last = _page_time(world, 1), _page_time(world, 100)
    assert last < first * 3 + 0.01, (first, last)
