"""The statements of the consumer API, all on the catalogue the pipelines maintain.

`consumer_catalog` holds exactly the products a consumer may see, at their consumer price
(the rules are applied where it is built, `tsh_pipelines.sync.catalog`), so a listing is
one statement on one table: the page read off the index of its sort order, and the total
from `consumer_catalog_state` (maintained with the catalogue) or, when filtered, counted
over the matching rows in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    case,
    func,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeEngine

from tsh_db.schema import consumer_catalog, consumer_catalog_state
from tsh_db.search import LIKE_ESCAPE, escape_like

STATE_ID = 1
C = consumer_catalog.c
# What either contract shows of a product (models.py, bff_models.py), one select for both.
PRODUCT = (C.product_zoho_id.label("id"), C.name, C.sku, C.category, C.image_url, C.price,
           C.stock, C.created_time, C.synced_at)  # fmt: skip


@dataclass(frozen=True)
class Filters:
    terms: tuple[str, ...] = ()  # normalised words (tsh_db.search.search_terms)
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def shape(self) -> tuple[int, bool, bool, bool]:
        """What the statement depends on; the values travel as bound parameters."""
        return (len(self.terms), self.category is not None, self.min_price is not None,
                self.max_price is not None)  # fmt: skip

    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {f"t{i}": f"%{escape_like(t)}%" for i, t in enumerate(self.terms)}
        if self.terms:
            phrase = escape_like(" ".join(self.terms))
            found.update(p_start=f"{phrase}%", p_word=f"% {phrase}%")
        if self.category is not None:
            found["category"] = self.category
        if self.min_price is not None:
            found["min_price"] = self.min_price
        if self.max_price is not None:
            found["max_price"] = self.max_price
        return found


def _conditions(terms: int, category: bool, min_price: bool, max_price: bool) -> list[Any]:
    found: list[Any] = [
        C.search_text.like(bindparam(f"t{i}"), escape=LIKE_ESCAPE) for i in range(terms)
    ]
    if category:
        found.append(C.category == bindparam("category"))
    if min_price:
        found.append(C.price >= bindparam("min_price", type_=C.price.type))
    if max_price:
        found.append(C.price <= bindparam("max_price", type_=C.price.type))
    return found


@dataclass(frozen=True)
class Sort:
    keys: tuple[tuple[ColumnElement[Any], TypeEngine[Any]], ...]
    descending: bool = False


def relevance() -> ColumnElement[int]:
    """0: the name starts with the query, 1: a word starts with it, 2: it occurs elsewhere
    (each word somewhere in the name or SKU). Then by name."""
    text = C.search_text
    return case(
        (text.like(bindparam("p_start"), escape=LIKE_ESCAPE), 0),
        (text.like(bindparam("p_word"), escape=LIKE_ESCAPE), 1),
        else_=2,
    )


@cache
def sort_of(name: str) -> Sort:
    """Each order ends in the product id, so it is total and a cursor names one position."""
    id_key = (C.product_zoho_id, C.product_zoho_id.type)
    if name == "relevance":
        return Sort(((relevance(), Integer()), (C.name, C.name.type), id_key))
    if name == "price_asc":
        return Sort(((C.price, C.price.type), id_key))
    if name == "price_desc":
        return Sort(((C.price, C.price.type), id_key), descending=True)
    if name == "newest":
        return Sort(((C.created_time, C.created_time.type), id_key), descending=True)
    return Sort(((C.name, C.name.type), id_key))


def listing(
    filters: Filters,
    sort_name: str,
    *,
    per_page: int,
    offset: int = 0,
    after: Sequence[Any] | None = None,
) -> tuple[Select, dict[str, Any]]:
    """The statement (one per shape of request, built once) and its parameters."""
    params = {**filters.params(), "limit": per_page + 1, "offset": offset}
    params.update({f"a{i}": v for i, v in enumerate(after or ())})
    return _listing(sort_name, filters.shape(), after is not None), params


@lru_cache(maxsize=512)
def _listing(sort_name: str, shape: tuple[int, bool, bool, bool], keyset: bool) -> Select:
    """`total` LEFT JOIN one row more than the page (so the page knows if another follows).

    Starting from the one-row total keeps it on an empty page past the end, so every
    listing is exactly one query; an empty page is one row with NULL product columns.
    Built once per shape and reused, so neither it nor its cache key is made per request.
    """
    sort = sort_of(sort_name)
    conditions = _conditions(*shape)
    keys = [expr.label(f"k{i}") for i, (expr, _) in enumerate(sort.keys)]
    matching = select(*PRODUCT, *keys).where(*conditions)
    if shape[0]:
        # A search: every match is ranked and counted, so find the matches once (the trigram
        # index is lossy: each candidate is checked again) and take total and page from them.
        found = matching.cte("matches").prefix_with("MATERIALIZED", dialect="postgresql")
        page, order = select(found), [found.c[f"k{i}"] for i in range(len(keys))]
        total = select(func.count().label("total")).select_from(found)
    else:
        # Otherwise the page is read off the index of its order, the keyset on the columns.
        page, order = matching, [expr for expr, _ in sort.keys]
        total = _count(conditions)
    if keyset:
        at = tuple_(*(bindparam(f"a{i}", type_=t) for i, (_, t) in enumerate(sort.keys)))
        row = tuple_(*order)
        page = page.where(row < at if sort.descending else row > at)
    page = page.order_by(*_directed(order, sort.descending))
    rows = page.limit(bindparam("limit")).offset(bindparam("offset")).subquery("page_rows")
    counted = total.subquery("total")
    outer_keys = [rows.c[f"k{i}"] for i in range(len(keys))]
    return (
        select(counted.c.total, rows)
        .select_from(counted.outerjoin(rows, true()))
        .order_by(*_directed(outer_keys, sort.descending))
    )


def _count(conditions: list[Any]) -> Select:
    """Filtered: counted over the matches (by index); else the total kept with the catalogue."""
    if conditions:
        return select(func.count().label("total")).select_from(consumer_catalog).where(*conditions)
    s = consumer_catalog_state.c
    return select(s.total.label("total")).where(s.id == STATE_ID)


def _directed(keys: Sequence[Any], descending: bool) -> list[Any]:
    return [k.desc() if descending else k.asc() for k in keys]


# Built once: a statement object carries its own compiled-cache key.
DETAIL = select(*PRODUCT).where(C.product_zoho_id == bindparam("product_id"))

CATEGORIES = (
    select(C.category.label("name"), func.count().label("product_count"))
    .where(C.category.is_not(None))
    .group_by(C.category)
    .order_by(C.category)
)

# The catalogue's version: what ETags and the response cache are keyed on.
SNAPSHOT = select(
    consumer_catalog_state.c.version,
    consumer_catalog_state.c.changed_at,
    consumer_catalog_state.c.built_at,
    consumer_catalog_state.c.pricelist_code,
).where(consumer_catalog_state.c.id == STATE_ID)
