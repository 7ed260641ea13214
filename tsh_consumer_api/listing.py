"""A listing request, checked: filters, sort, and where the page starts (page or cursor).

Cursors are keyset positions (the sort key of the last item shown), opaque to the app: the
next page starts right after that item, so a product added or removed meanwhile never makes
an item repeat or go missing, and deep pages cost what the first does. A cursor names the
filters and sort it was made for; used with others it is refused, not misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from sqlalchemy import Integer, Numeric

from tsh_consumer_api.queries import Filters, Sort, sort_of
from tsh_db.search import search_terms
from tsh_db.types import UTCDateTime

SortName = Literal["relevance", "name", "price_asc", "price_desc", "newest"]
CURSOR_FORMAT = 1


@dataclass(frozen=True)
class ListingRequest:
    filters: Filters
    sort_name: str
    sort: Sort
    per_page: int
    page: int | None  # None when asked by cursor
    after: list[Any] | None = None

    @property
    def offset(self) -> int:
        return 0 if self.page is None else (self.page - 1) * self.per_page

    def cursor_after(self, row: Any) -> str:
        """The cursor of the page that follows `row` (a listing row with its k0.. keys)."""
        values = [_plain(getattr(row, f"k{i}")) for i in range(len(self.sort.keys))]
        payload = [CURSOR_FORMAT, self.sort_name, _fingerprint(self.sort_name, self.filters),
                   values]  # fmt: skip
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def listing_request(
    *,
    page: int | None,
    per_page: int,
    cursor: str | None,
    search: str | None,
    category: str | None,
    min_price: Decimal | None,
    max_price: Decimal | None,
    sort: str | None,
) -> ListingRequest:
    """Raises RequestValidationError (a 422 like FastAPI's own) naming the parameter."""
    terms = tuple(search_terms(search or ""))
    category = (category or "").strip() or None
    if min_price is not None and max_price is not None and min_price > max_price:
        _refuse("min_price", min_price, "min_price must not be above max_price")
    if sort == "relevance" and not terms:
        _refuse("sort", sort, "sort=relevance needs a search")
    sort_name = sort or ("relevance" if terms else "name")
    filters = Filters(terms, category, min_price, max_price)
    order = sort_of(sort_name)
    if cursor is None:
        return ListingRequest(filters, sort_name, order, per_page, page or 1)
    if page is not None:
        _refuse("cursor", cursor, "give either page or cursor, not both")
    after = _decode(cursor, sort_name, filters, order)
    return ListingRequest(filters, sort_name, order, per_page, None, after)


def _decode(cursor: str, sort_name: str, filters: Filters, order: Sort) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fmt, made_for, fingerprint, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        _refuse("cursor", cursor, "not a cursor this API issued; start without one")
    if fmt != CURSOR_FORMAT or (made_for, fingerprint) != (
        sort_name, _fingerprint(sort_name, filters)
    ):  # fmt: skip
        _refuse("cursor", cursor, "this cursor was issued for other filters or another sort; "
                "repeat them, or start again without a cursor")  # fmt: skip
    try:
        return _typed(values, order)
    except (ValueError, TypeError, InvalidOperation):
        _refuse("cursor", cursor, "not a cursor this API issued; start without one")


def _typed(values: Sequence[Any], order: Sort) -> list[Any]:
    if not isinstance(values, list) or len(values) != len(order.keys):
        raise ValueError("wrong number of keys")
    typed: list[Any] = []
    for value, (_, type_) in zip(values, order.keys, strict=True):
        if isinstance(type_, Integer):
            typed.append(int(value))
        elif isinstance(type_, Numeric):
            typed.append(Decimal(str(value)))
        elif isinstance(type_, UTCDateTime):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("naive time")
            typed.append(moment)
        else:
            typed.append(str(value))
    return typed


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _fingerprint(sort_name: str, filters: Filters) -> str:
    prices = [_plain(p) for p in (filters.min_price, filters.max_price)]
    key = json.dumps([sort_name, list(filters.terms), filters.category, prices], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _refuse(name: str, value: Any, message: str) -> Any:
    raise RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": message, "input": str(value)}]
    )
