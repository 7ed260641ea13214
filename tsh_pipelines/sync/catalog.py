"""The consumer catalogue (`consumer_catalog`), kept current with the writes it derives from.

Write points (a products page, a stock update, a price book's prices, a delete) call
`refresh_catalog(conn, product_ids)` or `refresh_catalog(conn, price_lists=[...])`; that only
notes what the transaction touched. Just before the transaction commits, one refresh
recomputes those rows from products, product_prices and price_lists as the transaction sees
them, set-based, so the catalogue commits with the writes or not at all.

Why at commit, under the lock of the `consumer_catalog_state` row: two transactions changing
different inputs of one product (its stock here, its price there) each see only their own
change. Taking the lock before deriving makes the later one derive after the earlier one has
committed, so it sees both; taking it only at commit, when the transaction writes nothing but
the catalogue, means a holder never waits for a row another transaction holds (no deadlock).

The rows themselves, and the rules they follow, are `catalog_rows.py`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Connection, Row

from tsh_db.dialect import insert_missing
from tsh_db.schema import consumer_catalog, consumer_catalog_state, price_lists
from tsh_db.service import env_int
from tsh_db.types import utcnow
from tsh_pipelines.sync.catalog_rows import CatalogChange, recompute

STATE_ID = 1


@dataclass(frozen=True)
class Rules:
    pricelist_code: str = "consumer_iqd"
    min_stock: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Rules:
        """Read at call time, so a changed setting takes effect at the next refresh."""
        env = os.environ if environ is None else environ
        return cls(
            pricelist_code=env.get("CONSUMER_PRICELIST_CODE", "").strip() or "consumer_iqd",
            min_stock=env_int(env, "CONSUMER_MIN_STOCK", 1, minimum=0),
        )


@dataclass
class _Pending:
    products: set[str] = field(default_factory=set)
    consumer_books: set[str] = field(default_factory=set)  # books whose prices were stored
    everything: bool = False


_PENDING: WeakKeyDictionary[Connection, _Pending] = WeakKeyDictionary()
# Connections listened on; a listener stays for the Connection's life (one checkout), as
# SQLAlchemy cannot remove one while it runs.
_LISTENED: WeakSet[Connection] = WeakSet()
_LOCK = threading.Lock()


def refresh_catalog(
    conn: Connection,
    product_ids: Iterable[str] | None = None,
    *,
    price_lists: Iterable[str] | None = None,
) -> None:
    """Recompute, just before this transaction commits, the catalogue rows of `product_ids`
    (None: every product), or after price lists were written or deleted, of every product
    priced in `price_lists` if one of them is the consumer list. Either way the refresh
    checks that the rows were built with today's rules and consumer list, and rebuilds if not.
    """
    with _LOCK:
        pending = _PENDING.get(conn)
        if pending is None:
            pending = _PENDING[conn] = _Pending()
        if conn not in _LISTENED:
            _LISTENED.add(conn)
            event.listen(conn, "commit", _on_commit)
            event.listen(conn, "rollback", _on_rollback)
    if price_lists is not None:
        pending.consumer_books.update(price_lists)
    elif product_ids is None:
        pending.everything = True
    else:
        pending.products.update(product_ids)


def refresh_written(conn: Connection, table: str, ids: Iterable[str]) -> None:
    """For the write path: rows of `table` were written or deleted. A price list row itself
    matters only through which list is the consumer one and its currency, which every
    refresh checks; its prices are refreshed where they are stored."""
    if table == "products":
        refresh_catalog(conn, ids)
    elif table == "price_lists":
        refresh_catalog(conn, price_lists=())


def _forget(conn: Connection) -> _Pending | None:
    with _LOCK:
        return _PENDING.pop(conn, None)


def _on_commit(conn: Connection) -> None:
    pending = _forget(conn)
    if pending is not None:
        apply_refresh(conn, pending)


def _on_rollback(conn: Connection) -> None:
    _forget(conn)  # the writes are gone, and what they would have changed with them


def apply_refresh(conn: Connection, pending: _Pending, rules: Rules | None = None) -> None:
    rules = rules or Rules.from_env()
    state = lock_state(conn)
    consumer = consumer_list(conn, rules.pricelist_code)
    if outdated(state, rules, consumer):
        rebuild(conn, rules, consumer, state)
        return
    if pending.everything or (consumer is not None and consumer.zoho_id in pending.consumer_books):
        scope: list[str] | None = None
    elif pending.products:
        scope = sorted(pending.products)
    else:
        return
    change = recompute(conn, consumer, rules.min_stock, scope)
    if change.changed:
        conn.execute(
            update(consumer_catalog_state)
            .where(consumer_catalog_state.c.id == STATE_ID)
            .values(
                version=consumer_catalog_state.c.version + 1,
                total=consumer_catalog_state.c.total + change.inserted - change.removed,
                changed_at=utcnow(),
            )
        )


def rebuild_catalog(conn: Connection, rules: Rules | None = None) -> CatalogChange:
    """Every row again, now, in this transaction: the asset's materialization and the repair."""
    rules = rules or Rules.from_env()
    state = lock_state(conn)
    return rebuild(conn, rules, consumer_list(conn, rules.pricelist_code), state)


def lock_state(conn: Connection) -> Row:
    """The state row, locked until commit (PostgreSQL; SQLite writers are serialised anyway)."""
    t = consumer_catalog_state
    query = select(t).where(t.c.id == STATE_ID).with_for_update()
    row = conn.execute(query).first()
    if row is None:  # never built: a row that matches no rules, so the refresh rebuilds
        placeholder = {"id": STATE_ID, "version": 0, "total": 0, "pricelist_code": "",
                       "min_stock": 0, "changed_at": utcnow()}  # fmt: skip
        insert_missing(conn, t, [placeholder], ["id"])
        row = conn.execute(query).one()
    return row


def consumer_list(conn: Connection, code: str) -> Row | None:
    """The live price list holding the consumer code (codes are unique among live lists)."""
    t = price_lists
    return conn.execute(
        select(t.c.zoho_id, t.c.currency_code).where(t.c.code == code, t.c.deleted_at.is_(None))
    ).first()


def outdated(state: Row, rules: Rules, consumer: Row | None) -> bool:
    built_from = (rules.pricelist_code, rules.min_stock, *(consumer or (None, None)))
    stored = (state.pricelist_code, state.min_stock, state.price_list_zoho_id, state.currency_code)
    return state.built_at is None or stored != built_from


def rebuild(conn: Connection, rules: Rules, consumer: Row | None, state: Row) -> CatalogChange:
    change = recompute(conn, consumer, rules.min_stock, None)
    total = conn.scalar(select(func.count()).select_from(consumer_catalog)) or 0
    bump = change.changed or outdated(state, rules, consumer) or total != state.total
    now = utcnow()
    version = state.version + 1 if bump else state.version
    conn.execute(
        update(consumer_catalog_state)
        .where(consumer_catalog_state.c.id == STATE_ID)
        .values(
            version=version, total=total, pricelist_code=rules.pricelist_code,
            min_stock=rules.min_stock, price_list_zoho_id=consumer.zoho_id if consumer else None,
            currency_code=consumer.currency_code if consumer else None, built_at=now,
            changed_at=now if bump else state.changed_at,
        )
    )  # fmt: skip
    change.rebuilt, change.total, change.version = True, total, version
    return change
