"""The Flutter app's contract (`BFFApiService`, `Product.fromJson`), field for field and type
for type: ids as strings, stock as whole numbers (Dart's `as int?` throws on 12.0), the price
as a number, times in ISO 8601. Rows come from the same statements as `/api/consumer/...`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tsh_consumer_api.media import image_urls
from tsh_consumer_api.models import exact
from tsh_consumer_api.settings import Settings

EPOCH_YEAR = 1970  # the catalogue's created_time when Zoho gave none


class AppProduct(BaseModel):
    id: str = Field(description="The Zoho item id (text: Zoho ids pass 2^53).")
    zoho_item_id: str = Field(description="The same id: the app requires it (or item_id).")
    name: str
    sku: str | None
    description: str | None = Field(None, description="Not kept in the catalogue: null.")
    category: str | None
    image_url: str | None = Field(
        description="Absolute URL of the picture (320 px in lists, 1,024 px for one "
        "product, WebP), from CONSUMER_PUBLIC_BASE_URL; null when the item has none."
    )
    cdn_image_url: str | None = Field(
        description="The same picture through CONSUMER_CDN_BASE_URL; null when none is set."
    )
    stock_quantity: int = Field(description="Whole units available (JSON integer).")
    actual_available_stock: int = Field(description="The same figure, as the app names it.")
    warehouse_id: str | None = Field(None, description="Stock is the total of every warehouse.")
    is_active: bool = Field(True, description="Always true: inactive items are not listed.")
    last_synced: datetime = Field(description="When the catalogue row last changed.")
    created_at: datetime | None = Field(description="Zoho's created time; null when unknown.")
    updated_at: datetime
    price: float = Field(description="The consumer price-list price in IQD; never the base price.")
    currency: Literal["IQD"] = "IQD"
    pricelist_name: str = Field(description="The consumer price list's code, e.g. consumer_iqd.")


class Pagination(BaseModel):
    has_more: bool = Field(description="Whether a page follows: ask again with skip + limit.")
    skip: int
    limit: int


class AppProductList(BaseModel):
    items: list[AppProduct]
    total: int = Field(description="Products matching the filters, over all pages.")
    count: int = Field(description="Products on this page.")
    pagination: Pagination


class AppProductDetail(BaseModel):
    product: AppProduct


class AppCategories(BaseModel):
    categories: list[str] = Field(description="Categories with visible products, by name.")


def to_app_product(
    row: Any, settings: Settings, pricelist: str, size: Literal["list", "detail"]
) -> AppProduct:
    image, cdn = image_urls(row.image_url, size, settings)
    stock = int(exact(row.stock))  # whole units: a fraction of a unit cannot be bought
    synced, created = row.synced_at, row.created_time
    return AppProduct(
        id=row.id,
        zoho_item_id=row.id,
        name=row.name,
        sku=row.sku,
        category=row.category,
        image_url=image,
        cdn_image_url=cdn,
        stock_quantity=stock,
        actual_available_stock=stock,
        last_synced=synced,
        created_at=None if created.year == EPOCH_YEAR else created,
        updated_at=synced,
        price=float(exact(row.price)),
        pricelist_name=pricelist,
    )
