"""Reconciliation of the catalogue: products with their stock, price books rate by rate.

Products: the Books listing, compared by version as any entity, then the one Inventory
listing (`reconcile_stock`), which gives stock totals and the items only Inventory has, then
the extras. Price books: the listing, then every book's detail (one call a book), compared
rate by rate, since a rate edit may leave the book's `last_modified_time` alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tsh_db.schema import price_lists, product_prices
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import product_row, to_row
from tsh_pipelines.sync.prices import apply_price_book, price_drift
from tsh_pipelines.sync.reconcile import (
    MISSING,
    Drift,
    Log,
    calls_since,
    classify,
    count_live,
    reconcile_extras,
    reconcile_page,
    stored_state,
)
from tsh_pipelines.sync.reconcile_stock import LIST_ALL, reconcile_stock
from tsh_pipelines.sync.records import delete_records, write_record
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import BOOKS, ZohoClient
from tsh_pipelines.zoho.catalog import fetch_record, unless_gone

PRODUCTS, PRICE_LISTS = BY_NAME["products"], BY_NAME["price_lists"]
WRONG = "wrong"  # a rate that differs (besides missing and extra)


def reconcile_products(
    client: ZohoClient, engine: Engine, *, repair: bool, log: Log
) -> tuple[Drift, Drift]:
    """(products drift, stock drift): Books listing, Inventory listing, then the extras."""
    drift = Drift("products", live=count_live(engine, PRODUCTS))
    started = utcnow()
    books: set[str] = set()
    listing = Listing(client, BOOKS, PRODUCTS.path, "items", "item_id", LIST_ALL)
    for page, (received_at, records) in enumerate(listing, 1):
        row_of = partial(product_row, source=BOOKS, now=received_at)
        books |= reconcile_page(client, engine, PRODUCTS, records, row_of, drift, repair)
        log.info("products: reconciled Books page %d, %s items", page, f"{len(books):,}")
    stock, inventory = reconcile_stock(
        client, engine, repair=repair, log=log, books=books, products=drift
    )
    seen = books | inventory
    drift.listed = len(seen)
    write_back = (lambda record, source: write_record(engine, PRODUCTS, record, source)) if (
        repair) else None  # fmt: skip
    reconcile_extras(client, engine, PRODUCTS, seen, started, drift, write_back, log)
    return drift, stock


def reconcile_prices(
    client: ZohoClient, engine: Engine, *, repair: bool, log: Log
) -> tuple[Drift, Drift]:
    """(price book drift, rate drift): the listing, then every book's detail, rate by rate."""
    books = Drift("price_lists", live=count_live(engine, PRICE_LISTS))
    rates = Drift("product_prices", live=_live_prices(engine))
    started = utcnow()
    listing = Listing(client, BOOKS, "pricebooks", "pricebooks", "pricebook_id")
    rows = [to_row(PRICE_LISTS, price_lists, r, at) for at, page in listing for r in page]
    seen = {r["zoho_id"] for r in rows}
    books.listed = len(seen)
    with engine.connect() as conn:
        behind = classify(PRICE_LISTS, rows, stored_state(conn, PRICE_LISTS, sorted(seen)))
    for kind in set(behind.values()):
        books.note(kind, sorted(z for z, k in behind.items() if k == kind))
    written = SyncTotals("product_prices", "reconcile")
    before = Counter(client.stats.calls)
    for row in rows:
        _reconcile_book(client, engine, row["zoho_id"], behind, books, rates, repair, written)
    rates.calls = dict(calls_since(client, before))  # the rates: one detail call a book
    log.info("price_lists: %d books, %d rates compared", len(seen), rates.listed)
    write_back = (lambda record, _source: apply_price_book(engine, record, written)) if (
        repair) else None  # fmt: skip
    reconcile_extras(client, engine, PRICE_LISTS, seen, started, books, write_back, log)
    return books, rates


def _reconcile_book(
    client: ZohoClient,
    engine: Engine,
    book_id: str,
    behind: dict[str, str],
    books: Drift,
    rates: Drift,
    repair: bool,
    written: SyncTotals,
) -> None:
    detail = unless_gone(lambda: fetch_record(client, PRICE_LISTS, book_id)[0])
    if detail is None:  # deleted since the listing: the 404 confirms it
        if repair:
            with engine.begin() as conn:
                delete_records(conn, PRICE_LISTS, [book_id], client.now())
            if book_id in behind:
                books.repaired[behind[book_id]] += 1
        return
    rates.listed += len(detail.get("pricebook_items") or [])
    with engine.connect() as conn:
        drift = price_drift(conn, book_id, detail)
    counted = behind.get(book_id) != MISSING  # a missing book's rates come back with it
    for kind, items in drift.items():
        rates.note(kind, _keys(book_id, items) if counted else [])
    if not repair or not (book_id in behind or any(drift.values())):
        return
    apply_price_book(engine, detail, written)
    with engine.connect() as conn:
        after = price_drift(conn, book_id, detail)
        still = classify(PRICE_LISTS, [to_row(PRICE_LISTS, price_lists, detail, utcnow())],
                         stored_state(conn, PRICE_LISTS, [book_id]))  # fmt: skip
    for kind, items in drift.items():
        rates.repaired[kind] += len(set(items) - set(after[kind])) if counted else 0
    if book_id in behind and book_id not in still:
        books.repaired[behind[book_id]] += 1


def _live_prices(engine: Engine) -> int:
    pp = product_prices
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).where(pp.c.deleted_at.is_(None))) or 0


def _keys(book_id: str, items: Iterable[str]) -> list[str]:
    return [f"{book_id}:{item}" for item in items]
