"""`/api/bff/mobile/consumer/...`: the Flutter app's contract, over the same statements.

The app pages with `skip` and `limit` until `pagination.has_more` is false and parses each
product with `Product.fromJson`; the answers are the catalogue's rows under the consumer
rules, shaped by `bff_models.py`. ETags, 304s and the response cache are the same as for
`/api/consumer/...` (CachedRoute).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from tsh_consumer_api import queries
from tsh_consumer_api.bff_models import (
    AppCategories,
    AppProductDetail,
    AppProductList,
    Pagination,
    to_app_product,
)
from tsh_consumer_api.caching import CachedRoute
from tsh_consumer_api.db import fetch
from tsh_consumer_api.listing import listing_request
from tsh_consumer_api.routes import (
    CACHED,
    NOT_VISIBLE,
    SettingsDep,
    SnapshotDep,
    visible_product,
)

PREFIX = "/api/bff/mobile/consumer"
# Keeps OFFSET far inside a 64-bit integer and past any real catalogue.
MAX_SKIP = 10_000_000

bff_router = APIRouter(route_class=CachedRoute, tags=["mobile app (BFF)"])


@bff_router.get(
    f"{PREFIX}/products",
    response_model=AppProductList,
    responses=CACHED,
    summary="Products for the Flutter app: skip/limit pages, Product.fromJson's shape",
)
async def app_products(
    request: Request,
    settings: SettingsDep,
    snapshot: SnapshotDep,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="Products to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Products per page.")] = 100,
    category: Annotated[str | None, Query(max_length=128, description="Exact category.")] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Words that must all occur in the name "
            "or SKU, as in /api/consumer/products.",
        ),
    ] = None,  # fmt: skip
) -> AppProductList:
    """By name (by relevance with `search`); the same products and rules as
    `/api/consumer/products`."""
    wanted = listing_request(
        page=None, per_page=limit, cursor=None, search=search, category=category,
        min_price=None, max_price=None, sort=None,
    )  # fmt: skip
    stmt, params = queries.listing(wanted.filters, wanted.sort_name, per_page=limit, offset=skip)
    rows = await fetch(request, stmt, params)
    total = rows[0].total if rows else 0
    found = [r for r in rows if r.id is not None]
    items = [to_app_product(r, settings, snapshot.pricelist_code, "list") for r in found[:limit]]
    return AppProductList(
        items=items, total=total, count=len(items),
        pagination=Pagination(has_more=len(found) > limit, skip=skip, limit=limit),
    )  # fmt: skip


@bff_router.get(
    f"{PREFIX}/products/{{product_id}}",
    response_model=AppProductDetail,
    responses={**NOT_VISIBLE, **CACHED},
    summary='One product for the Flutter app, as {"product": {...}}',
)
async def app_product(
    request: Request,
    settings: SettingsDep,
    snapshot: SnapshotDep,
    product_id: Annotated[str, Path(max_length=32, description="The Zoho item id.")],
) -> AppProductDetail:
    row = await visible_product(request, product_id, snapshot)
    return AppProductDetail(
        product=to_app_product(row, settings, snapshot.pricelist_code, "detail")
    )


@bff_router.get(
    f"{PREFIX}/categories",
    response_model=AppCategories,
    responses=CACHED,
    summary="Category names with products a consumer can buy",
)
async def app_categories(request: Request) -> AppCategories:
    rows = await fetch(request, queries.CATEGORIES)
    return AppCategories(categories=[r.name for r in rows])
