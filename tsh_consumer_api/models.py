"""Response models (they document the API) and how a database row becomes one."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tsh_consumer_api.media import image_urls
from tsh_consumer_api.settings import Settings

StockStatus = Literal["in_stock", "low_stock"]


class ConsumerProduct(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "4815000000000000001",
                "name": "Ceiling fan 56in",
                "sku": "TSH-00001",
                "category": "Fans",
                "image_url": "https://api.tsh-iq.com/media/3f/3f9a…/detail.webp",
                "thumbnail_url": "https://api.tsh-iq.com/media/3f/3f9a…/list.webp",
                "price": 15000.0,
                "currency": "IQD",
                "price_formatted": "15,000 IQD",
                "stock_status": "in_stock",
            }
        }
    )

    id: str = Field(description="The product's Zoho item id (text: Zoho ids pass 2^53).")
    name: str
    sku: str | None
    category: str | None
    image_url: str | None = Field(
        description="The picture, 1,024 px at most (WebP), an absolute URL that changes with "
        "the picture; null when the item has none in Zoho."
    )
    thumbnail_url: str | None = Field(description="The same picture, 320 px at most (WebP).")
    price: float = Field(description="The consumer price-list price, in IQD; never the base price.")
    currency: Literal["IQD"] = "IQD"
    price_formatted: str = Field(description='Ready to display, e.g. "1,250,000 IQD".')
    stock_status: StockStatus = Field(
        description="low_stock below CONSUMER_LOW_STOCK_THRESHOLD units, else in_stock."
    )


class ProductPage(BaseModel):
    items: list[ConsumerProduct]
    page: int | None = Field(
        description="1-based page number, as requested; null when the page was asked for "
        "with `cursor`."
    )
    per_page: int
    total: int = Field(description="Products matching the filters, over all pages.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters and sort) for the next page; "
        "null on the last page. Keyset pagination: no page is skipped or repeated when "
        "products are added or removed in between."
    )


class Category(BaseModel):
    name: str
    product_count: int = Field(description="Products of this category a consumer can see.")


class CategoryList(BaseModel):
    items: list[Category] = Field(description="Categories with visible products, by name.")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["reachable", "unreachable"] = Field(
        description="Whether a trivial query succeeded; the reason for a failure is logged only."
    )


class ErrorMessage(BaseModel):
    detail: str


def format_iqd(price: Decimal) -> str:
    """Thousands separators; whole dinars (the usual case) show no decimals."""
    if price == price.to_integral_value():
        return f"{int(price):,} IQD"
    return f"{price.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} IQD"


def exact(value: Any) -> Decimal:
    # SQLite hands back floats; str() first so 0.1 does not become 0.1000000000000000055...
    return Decimal(str(value))


def to_product(row: Any, settings: Settings) -> ConsumerProduct:
    price = exact(row.price)
    image, _ = image_urls(row.image_url, "detail", settings)
    thumbnail, _ = image_urls(row.image_url, "list", settings)
    return ConsumerProduct(
        id=row.id,
        name=row.name,
        sku=row.sku,
        category=row.category,
        image_url=image,
        thumbnail_url=thumbnail,
        price=float(price),
        price_formatted=format_iqd(price),
        stock_status="low_stock" if row.stock < settings.low_stock_threshold else "in_stock",
    )
