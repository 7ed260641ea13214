"""Thin route functions: validate parameters, run one statement, shape the rows."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from tsh_consumer_api import queries
from tsh_consumer_api.caching import CachedRoute
from tsh_consumer_api.db import connection
from tsh_consumer_api.models import ConsumerProduct, ErrorMessage, Health, ProductPage, to_product
from tsh_consumer_api.settings import Settings

log = logging.getLogger(__name__)

# Far beyond any real catalogue, and keeps OFFSET inside a 64-bit integer.
MAX_PAGE = 100_000

products_router = APIRouter(route_class=CachedRoute, tags=["products"])
health_router = APIRouter(tags=["operations"])


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


Conn = Annotated[Connection, Depends(connection)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NOT_VISIBLE = {404: {"model": ErrorMessage, "description": "Not visible to consumers."}}


@products_router.get(
    "/api/consumer/products",
    response_model=ProductPage,
    summary="Products a consumer can buy, with their consumer price",
)
@products_router.get(
    "/api/bff/mobile/consumer/products",
    response_model=ProductPage,
    summary="Same as /api/consumer/products (the mobile app's BFF path)",
)
def list_products(
    conn: Conn,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Items per page.")] = 20,
    search: Annotated[
        str | None, Query(max_length=100, description="Text in the name or SKU, any case.")
    ] = None,
    category: Annotated[str | None, Query(max_length=128, description="Exact category.")] = None,
) -> ProductPage:
    """Active, in-stock products priced in the consumer IQD price list, ordered by name."""
    stmt = queries.listing(
        settings,
        page=page,
        per_page=per_page,
        search=(search or "").strip() or None,
        category=(category or "").strip() or None,
    )
    rows = conn.execute(stmt).all()
    # The statement always yields the total row; an empty page has NULL product columns.
    total = rows[0].total if rows else 0
    items = [to_product(r, settings.low_stock_threshold) for r in rows if r.id is not None]
    return ProductPage(items=items, page=page, per_page=per_page, total=total)


@products_router.get(
    "/api/consumer/products/{product_id}",
    response_model=ConsumerProduct,
    responses=NOT_VISIBLE,
    summary="One product, if a consumer can see it",
)
def get_product(
    conn: Conn,
    settings: SettingsDep,
    product_id: Annotated[str, Path(max_length=32, description="The Zoho item id.")],
) -> ConsumerProduct:
    row = conn.execute(queries.detail(settings, product_id)).first()
    if row is None:
        raise HTTPException(
            status_code=404,
            detail=(
                f"Product {product_id} is not available to consumers: it is unknown, inactive, "
                f"deleted, out of stock, or has no IQD price in the "
                f"{settings.pricelist_code} price list."
            ),
        )
    return to_product(row, settings.low_stock_threshold)


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
