"""The consumer visibility rules as SQL, and the one statement each endpoint runs.

A product is visible only with a live, positive IQD price in the consumer price list. There
is deliberately no path to `products.price`: a base price shown to consumers is a pricing
incident (handbook, "Consumer App Product Filtering").
"""

from __future__ import annotations

from sqlalchemy import Select, and_, func, or_, select, true

from tsh_consumer_api.settings import Settings
from tsh_db.schema import price_lists, product_prices, products

LIKE_ESCAPE = "\\"


def visible_products(settings: Settings) -> Select:
    """Every product a consumer may see, with its consumer price; one row per product.

    `product_prices` is unique on (price list, product) and `price_lists.code` is unique, so the
    joins cannot duplicate a product. A price row may leave its currency empty, in which case
    the price list's currency is the price's currency; either way it must be IQD. (Written as
    an OR rather than `coalesce(...) = 'IQD'`: PostgreSQL estimates it, and with a good
    estimate it hash-joins instead of probing products once per price row.)
    """
    p, pp, pl = products, product_prices, price_lists
    in_iqd = or_(pp.c.currency == "IQD", and_(pp.c.currency.is_(None), pl.c.currency_code == "IQD"))
    return (
        select(
            p.c.zoho_id.label("id"),
            p.c.name,
            p.c.sku,
            p.c.category,
            p.c.image_url,
            pp.c.price,
            p.c.actual_available_stock.label("stock"),
        )
        .select_from(
            p.join(pp, pp.c.product_zoho_id == p.c.zoho_id).join(
                pl, pl.c.zoho_id == pp.c.price_list_zoho_id
            )
        )
        .where(
            # is_active and deleted_at match ix_products_consumer_listing's partial condition.
            p.c.is_active == true(),
            p.c.deleted_at.is_(None),
            p.c.actual_available_stock >= settings.min_stock,
            pl.c.code == settings.pricelist_code,
            pl.c.deleted_at.is_(None),
            pp.c.deleted_at.is_(None),
            pp.c.price > 0,
            in_iqd,
        )
    )


def escape_like(text: str) -> str:
    """Make user text match literally inside a LIKE pattern (used with ESCAPE '\\')."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def listing(
    settings: Settings,
    *,
    page: int,
    per_page: int,
    search: str | None = None,
    category: str | None = None,
) -> Select:
    """One statement for a page and the total: `total` LEFT JOIN `page`.

    A window count (`count(*) OVER ()`) would lose the total on an empty page past the end;
    starting from the one-row count keeps it there too, so every listing is exactly one
    query. When the page is empty the single row has the total and NULL product columns.
    """
    visible = visible_products(settings)
    if search:
        pattern = f"%{escape_like(search)}%"
        visible = visible.where(
            or_(
                products.c.name.ilike(pattern, escape=LIKE_ESCAPE),
                products.c.sku.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if category:
        visible = visible.where(products.c.category == category)
    # Not materialized: PostgreSQL then plans the count and the page separately, and reads
    # the page off ix_products_consumer_listing instead of sorting every match.
    matches = visible.cte("matches").prefix_with("NOT MATERIALIZED", dialect="postgresql")
    total = select(func.count().label("total")).select_from(matches).subquery("total")
    page_rows = (
        select(matches)
        .order_by(matches.c.name, matches.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page_rows")
    )
    return (
        select(total.c.total, page_rows)
        .select_from(total.outerjoin(page_rows, true()))
        .order_by(page_rows.c.name, page_rows.c.id)
    )


def detail(settings: Settings, product_id: str) -> Select:
    return visible_products(settings).where(products.c.zoho_id == product_id)
