"""Thin route functions: validate parameters, run one statement on the catalogue, shape rows."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError

from tsh_consumer_api import queries
from tsh_consumer_api.caching import CachedRoute
from tsh_consumer_api.db import fetch
from tsh_consumer_api.listing import SortName, listing_request
from tsh_consumer_api.models import (
    Category,
    CategoryList,
    ConsumerProduct,
    ErrorMessage,
    Health,
    ProductPage,
    to_product,
)
from tsh_consumer_api.settings import Settings
from tsh_consumer_api.versions import Snapshot

log = logging.getLogger(__name__)

# Far beyond any real catalogue, and keeps OFFSET inside a 64-bit integer.
MAX_PAGE = 100_000

products_router = APIRouter(route_class=CachedRoute, tags=["products"])
health_router = APIRouter(tags=["operations"])


# async: FastAPI would run a plain function in a worker thread, a hop per dependency.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_snapshot(request: Request) -> Snapshot:
    return request.state.catalog  # type: ignore[no-any-return]  # set by CachedRoute


SettingsDep = Annotated[Settings, Depends(get_settings)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
Price = Annotated[Decimal | None, Query(ge=0, le=10**15, description="IQD, inclusive.")]
CACHED = {
    304: {"description": "Not modified: the ETag in If-None-Match is still current."},
    503: {"model": ErrorMessage, "description": "The catalogue is not built yet, or the "
          "database is unavailable; Retry-After says when to try again."},
}  # fmt: skip
NOT_VISIBLE = {404: {"model": ErrorMessage, "description": "Not visible to consumers."}}


@products_router.get(
    "/api/consumer/products",
    response_model=ProductPage,
    responses=CACHED,
    summary="Products a consumer can buy, with their consumer price",
)
async def list_products(
    request: Request,
    settings: SettingsDep,
    page: Annotated[
        int | None, Query(ge=1, le=MAX_PAGE, description="1-based page number (default 1).")
    ] = None,
    per_page: Annotated[int, Query(ge=1, le=100, description="Items per page.")] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=1024,
            description="`next_cursor` of the previous page, instead of "
            "`page`: keyset pagination, stable while products change.",
        ),
    ] = None,  # fmt: skip
    search: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Words that must all occur in the name or SKU; "
            "any case, accents and Arabic diacritics ignored.",
        ),
    ] = None,  # fmt: skip
    category: Annotated[str | None, Query(max_length=128, description="Exact category.")] = None,
    min_price: Price = None,
    max_price: Price = None,
    sort: Annotated[
        SortName | None,
        Query(
            description="`relevance` (the default with `search`: the name starting with "
            "the search first, then a word starting with it), `name` (the default "
            "otherwise), `price_asc`, `price_desc`, `newest`."
        ),
    ] = None,  # fmt: skip
) -> ProductPage:
    """Active, in-stock products priced in the consumer IQD price list, filtered and ordered as
    asked; each page gives `next_cursor` for the next one. Send `If-None-Match` with the ETag of
    an earlier answer to get a 304 when nothing changed."""
    wanted = listing_request(
        page=page, per_page=per_page, cursor=cursor, search=search, category=category,
        min_price=min_price, max_price=max_price, sort=sort,
    )  # fmt: skip
    stmt, params = queries.listing(
        wanted.filters, wanted.sort_name, per_page=per_page, offset=wanted.offset,
        after=wanted.after,
    )  # fmt: skip
    rows = await fetch(request, stmt, params)
    # The statement always yields the total row; an empty page has NULL product columns.
    total = rows[0].total if rows else 0
    found = [r for r in rows if r.id is not None]
    shown = found[:per_page]
    next_cursor = wanted.cursor_after(shown[-1]) if len(found) > per_page else None
    items = [to_product(r, settings) for r in shown]
    return ProductPage(
        items=items, page=wanted.page, per_page=per_page, total=total, next_cursor=next_cursor
    )


@products_router.get(
    "/api/consumer/products/{product_id}",
    response_model=ConsumerProduct,
    responses={**NOT_VISIBLE, **CACHED},
    summary="One product, if a consumer can see it",
)
async def get_product(
    request: Request,
    settings: SettingsDep,
    snapshot: SnapshotDep,
    product_id: Annotated[str, Path(max_length=32, description="The Zoho item id.")],
) -> ConsumerProduct:
    return to_product(await visible_product(request, product_id, snapshot), settings)


async def visible_product(request: Request, product_id: str, snapshot: Snapshot) -> Row[Any]:
    """The catalogue row of one product, or a 404 saying why a product may be missing."""
    rows = await fetch(request, queries.DETAIL, {"product_id": product_id})
    if not rows:
        raise HTTPException(
            status_code=404,
            detail=(
                f"Product {product_id} is not available to consumers: it is unknown, inactive, "
                f"deleted, out of stock, or has no IQD price in the "
                f"{snapshot.pricelist_code} price list."
            ),
        )
    return rows[0]


@products_router.get(
    "/api/consumer/categories",
    response_model=CategoryList,
    responses=CACHED,
    summary="Categories with products a consumer can buy, and how many",
)
async def list_categories(request: Request) -> CategoryList:
    """Every category with at least one visible product, by name (uncategorised ones are
    listed under no category: filter them by leaving `category` out)."""
    rows = await fetch(request, queries.CATEGORIES)
    return CategoryList(items=[Category(name=r.name, product_count=r.product_count) for r in rows])


@health_router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable."}},
)
def health(request: Request) -> JSONResponse:
    """Runs a trivial query: 200 when the database answers, 503 when it does not."""
    no_store = {"Cache-Control": "no-store"}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        log.warning("health check: database unreachable: %s", str(exc.orig).strip())
        # The reason goes to the log only: this endpoint is public.
        body = Health(status="unavailable", database="unreachable")
        return JSONResponse(body.model_dump(), status_code=503, headers=no_store)
    return JSONResponse(Health(status="ok", database="reachable").model_dump(), headers=no_store)
