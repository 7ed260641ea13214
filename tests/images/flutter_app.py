"""TSH's Flutter consumer app, as far as it reads our API: `BFFApiService` and `Product.fromJson`.

The casts are Dart's: `x as String` throws unless x is a string, `x as int?` throws on 12.0
(and on a bool), `x as num?` takes int or double, `DateTime.parse` needs ISO 8601. The app
throws when both `zoho_item_id` and `item_id` are missing, and shows a picture only for an
absolute `http…` URL. Paging: `skip`/`limit` until `pagination.has_more` is false.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

PREFIX = "/api/bff/mobile/consumer"


class CastError(TypeError):
    """What Dart's `as` throws: a type the app does not accept."""


class Getter(Protocol):
    def get(self, path: str, **kwargs: Any) -> Any: ...


def _as(value: Any, kind: type | tuple[type, ...], field: str, optional: bool = True) -> Any:
    if value is None:
        if optional:
            return None
        raise CastError(f"{field}: null is not a subtype of {kind}")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # Python's bool is an int; Dart's is not.
    if isinstance(value, bool) and bool not in kinds:
        raise CastError(f"{field}: {value!r} is not a subtype of {kind}")
    if type(value) not in kinds:
        raise CastError(f"{field}: {value!r} ({type(value).__name__}) is not a subtype of {kind}")
    return value


def _date(value: Any, field: str) -> datetime | None:
    text = _as(value, str, field)
    return None if text is None else datetime.fromisoformat(text)  # DateTime.parse


@dataclass(frozen=True)
class Product:
    id: str
    zoho_item_id: str
    name: str
    sku: str | None
    description: str | None
    category: str | None
    image_url: str | None
    cdn_image_url: str | None
    stock_quantity: int | None
    actual_available_stock: int | None
    warehouse_id: str | None
    is_active: bool | None
    last_synced: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    price: float | None
    currency: str | None
    pricelist_name: str | None

    @classmethod
    def from_json(cls, json: dict[str, Any]) -> Product:
        item_id = json.get("zoho_item_id", json.get("item_id"))
        if item_id is None:
            raise CastError("Product.fromJson: zoho_item_id and item_id are both missing")
        price = _as(json.get("price"), (int, float), "price")
        return cls(
            id=_as(json.get("id"), str, "id", optional=False),
            zoho_item_id=_as(item_id, str, "zoho_item_id", optional=False),
            name=_as(json.get("name"), str, "name", optional=False),
            sku=_as(json.get("sku"), str, "sku"),
            description=_as(json.get("description"), str, "description"),
            category=_as(json.get("category"), str, "category"),
            image_url=_as(json.get("image_url"), str, "image_url"),
            cdn_image_url=_as(json.get("cdn_image_url"), str, "cdn_image_url"),
            stock_quantity=_as(json.get("stock_quantity"), int, "stock_quantity"),
            actual_available_stock=_as(
                json.get("actual_available_stock"), int, "actual_available_stock"
            ),
            warehouse_id=_as(json.get("warehouse_id"), str, "warehouse_id"),
            is_active=_as(json.get("is_active"), bool, "is_active"),
            last_synced=_date(json.get("last_synced"), "last_synced"),
            created_at=_date(json.get("created_at"), "created_at"),
            updated_at=_date(json.get("updated_at"), "updated_at"),
            price=None if price is None else float(price),
            currency=_as(json.get("currency"), str, "currency"),
            pricelist_name=_as(json.get("pricelist_name"), str, "pricelist_name"),
        )

    @property
    def picture(self) -> str | None:
        """What the app shows: the CDN's URL when given, an absolute http(s) URL only."""
        for url in (self.cdn_image_url, self.image_url):
            if url and url.startswith("http"):
                return url
        return None


def ok_json(response: Any) -> Any:
    assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
    return response.json()


def read_catalogue(api: Getter, limit: int = 100, **filters: str) -> list[Product]:
    """Every product, page by page, as the app's `getProducts` loop does."""
    products: list[Product] = []
    skip = 0
    while True:
        body = ok_json(api.get(f"{PREFIX}/products", params={"skip": skip, "limit": limit,
                                                              **filters}))  # fmt: skip
        page = [Product.from_json(item) for item in body["items"]]
        assert _as(body["count"], int, "count", optional=False) == len(page)
        _as(body["total"], int, "total", optional=False)
        products += page
        if not _as(body["pagination"]["has_more"], bool, "has_more", optional=False):
            return products
        skip += limit


def read_product(api: Getter, product_id: str) -> Product:
    return Product.from_json(ok_json(api.get(f"{PREFIX}/products/{product_id}"))["product"])


def read_categories(api: Getter) -> list[str]:
    names = ok_json(api.get(f"{PREFIX}/categories"))["categories"]
    return [_as(name, str, "category", optional=False) for name in names]
