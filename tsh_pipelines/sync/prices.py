"""Price lists and their per-item prices, from Books price books.

One listing call gives the price books; a detail call per price book gives its items, made
for every book on every run: whether a rate edit moves the book's `last_modified_time` is
unconfirmed, so the version proves nothing about the rates. The rates read are compared rate
by rate with the stored ones, and a book's prices are written only when one differs. Items
that left a price book are soft-deleted from `product_prices`. A price book's prices are
written only with the version of the book they were read with.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import upsert
from tsh_db.schema import price_lists, product_prices
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.deletes import confirm_missing
from tsh_pipelines.sync.listing import Listing
from tsh_pipelines.sync.mapping import to_decimal, to_row
from tsh_pipelines.sync.records import delete_records, write_page, write_record
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, note_page
from tsh_pipelines.sync.state import SyncTotals, get_watermark, set_watermark
from tsh_pipelines.zoho import BOOKS, ZohoClient
from tsh_pipelines.zoho.catalog import fetch_record, unless_gone

PRICE_LISTS = BY_NAME["price_lists"]


def sync_price_lists(
    client: ZohoClient,
    engine: Engine,
    *,
    mode: str = INCREMENTAL,
    log: logging.Logger | logging.LoggerAdapter,
) -> tuple[SyncTotals, SyncTotals]:
    """Every run lists every price book (a call or two): books gone from Zoho are confirmed
    and tombstoned first, so a re-created Consumer book can take its code back."""
    lists = SyncTotals("price_lists", mode)
    prices = SyncTotals("product_prices", mode)
    seen: set[str] = set()
    listing = Listing(client, BOOKS, "pricebooks", "pricebooks", "pricebook_id")
    pages = [(at, [to_row(PRICE_LISTS, price_lists, r, at) for r in records])
             for at, records in listing]  # fmt: skip
    for _, rows in pages:
        note_page(lists, PRICE_LISTS, rows, seen, listing)
    lists.pages = len(pages)

    deleted, repaired = confirm_missing(
        client, engine, PRICE_LISTS, seen,
        lambda record, source: _write(engine, record, source, prices),
        log=log,
    )  # fmt: skip
    lists.soft_deleted, lists.extra["missing_but_live"] = deleted, repaired
    prices.extra["rates_changed"] = 0
    for _, rows in pages:
        # Details first, then list rows and prices in one transaction: a price book's new
        # last_modified_time is never stored without the prices it stands for.
        fetched = {z: unless_gone(lambda z=z: fetch_record(client, PRICE_LISTS, z)[0])
                   for z in sorted(r["zoho_id"] for r in rows)}  # fmt: skip
        details = {z: d for z, d in fetched.items() if d is not None}
        gone = [z for z, d in fetched.items() if d is None]  # deleted since the listing
        rows = [r for r in rows if r["zoho_id"] not in gone]
        prices.details_fetched += len(details)
        with engine.begin() as conn:
            lists.soft_deleted += delete_records(conn, PRICE_LISTS, gone, client.now())
            result, _ = write_page(conn, PRICE_LISTS, rows, {})
            lists.counts += result.counts
            current = [
                r for r in rows if r["zoho_id"] in details and r["zoho_id"] in result.current
            ]
            prices.extra["rates_changed"] += _store_changed(conn, current, details, prices)
        log.info("price_lists: %d price books, %d fetched, %s prices", len(seen), len(details),
                 f"{prices.records:,}")  # fmt: skip
    lists.watermark = listing.cursor(get_watermark(engine, "price_lists"))
    set_watermark(engine, "price_lists", lists.watermark, full=mode == FULL_REFRESH)
    return lists, prices


def apply_price_book(engine: Engine, record: dict, prices: SyncTotals) -> str:
    """A price book with its items (`pricebook_items`): the row, then its prices if it won."""
    outcome, _ = write_record(
        engine, PRICE_LISTS, record, BOOKS,
        children=lambda conn, row: store_prices(conn, row, record, prices),
    )  # fmt: skip
    return outcome


def _write(engine: Engine, record: dict, source: str, prices: SyncTotals) -> None:
    apply_price_book(engine, record, prices)


def _store_changed(
    conn: Connection, rows: list[dict], details: dict[str, dict], prices: SyncTotals
) -> int:
    """Store the prices of the books whose rates differ from the stored ones; how many rates."""
    changed = 0
    for row in rows:
        drift = sum(map(len, price_drift(conn, row["zoho_id"], details[row["zoho_id"]]).values()))
        if drift:
            store_prices(conn, row, details[row["zoho_id"]], prices)
            changed += drift
    return changed


def price_drift(conn: Connection, book_id: str, detail: dict) -> dict[str, list[str]]:
    """Rate by rate, the stored prices of a book against its detail: item ids priced in Zoho
    but not here (`missing`), priced differently (`wrong`), priced here only (`extra`)."""
    pp = product_prices
    stored = {
        r.product_zoho_id: (_money(r.price), r.zoho_pricebook_item_id)
        for r in conn.execute(
            select(pp.c.product_zoho_id, pp.c.price, pp.c.zoho_pricebook_item_id)
            .where(pp.c.price_list_zoho_id == book_id, pp.c.deleted_at.is_(None))
        )
    }  # fmt: skip
    listed = {
        r["product_zoho_id"]: (_money(r["price"]), r["zoho_pricebook_item_id"])
        for r in price_rows({"zoho_id": book_id, "currency_code": None}, detail)
    }
    both = listed.keys() & stored.keys()
    return {
        "missing": sorted(listed.keys() - stored.keys()),
        "wrong": sorted(k for k in both if listed[k] != stored[k]),
        "extra": sorted(stored.keys() - listed.keys()),
    }


def _money(value: Decimal | None) -> Decimal | None:
    # the column keeps four decimals: compare what it can hold, or a rate never settles
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


def price_rows(price_list: dict, detail: dict) -> list[dict]:
    now = utcnow()
    return [
        {
            "price_list_zoho_id": price_list["zoho_id"],
            "product_zoho_id": str(item["item_id"]),
            "zoho_pricebook_item_id": str(item.get("pricebook_item_id") or "") or None,
            "price": to_decimal(item.get("pricebook_rate")),
            "currency": price_list["currency_code"],
            "synced_at": now,
            "deleted_at": None,
        }
        for item in detail.get("pricebook_items") or []
    ]


def store_prices(conn: Connection, price_list: dict, detail: dict, totals: SyncTotals) -> None:
    """Upsert a price book's items and soft-delete the items that left it."""
    rows = price_rows(price_list, detail)
    t = product_prices
    totals.counts += upsert(conn, t, rows, ["price_list_zoho_id", "product_zoho_id"])
    listed = [r["product_zoho_id"] for r in rows]
    gone = conn.execute(
        update(t)
        .where(
            t.c.price_list_zoho_id == price_list["zoho_id"],
            t.c.deleted_at.is_(None),
            t.c.product_zoho_id.not_in(listed),
        )
        .values(deleted_at=utcnow())
    )
    refresh_catalog(conn, price_lists=[price_list["zoho_id"]])
    totals.records += len(rows)
    totals.soft_deleted += gone.rowcount or 0
