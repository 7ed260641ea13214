"""Records and their line items into the replica, through the one write path (`tsh_db.writes`).

Used by listings (a page at a time), webhook events and repairs (one record at a time): the
parent row is written under the version rule, and its line items are replaced in the same
transaction only when the parent's stored version is the one they were read with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import bulk_load
from tsh_db.schema import metadata, product_prices
from tsh_db.types import utcnow
from tsh_db.writes import READ, VERSION, WEBHOOK, WriteResult, tombstone, write_rows
from tsh_pipelines.entities import Entity
from tsh_pipelines.sync.catalog import refresh_written
from tsh_pipelines.sync.codes import assign_codes, free_codes
from tsh_pipelines.sync.mapping import child_rows, has_children, product_row, to_row
from tsh_pipelines.sync.stock_schedule import schedule
from tsh_pipelines.sync.tables import line_items_table_of, table_of
from tsh_pipelines.zoho.timefmt import parse_zoho_time

UPSERTED, STALE, UNCHANGED = "upserted", "stale", "unchanged"
# Written, but a read and a webhook disagree on one version: fetch the record to settle it.
AMBIGUOUS = "ambiguous"


def row_of(entity: Entity, record: Mapping, source: str, received_at: datetime) -> dict:
    if entity.name == "products":
        return product_row(record, source, received_at)
    return to_row(entity, table_of(entity), record, received_at)


def has_line_items(entity: Entity, record: Mapping) -> bool:
    """Whether the record is a detail: it carries what only the detail call gives."""
    return has_children(entity, record)


def write_page(
    conn: Connection,
    entity: Entity,
    rows: list[dict],
    details: Mapping[str, Mapping],
    via: str = READ,
) -> tuple[WriteResult, int]:
    """Write rows; replace the line items of those whose detail was read. (result, items)."""
    insert_only: tuple[str, ...] = ()
    if entity.name == "price_lists":
        assign_codes(conn, rows)
        insert_only = ("code",)
    elif entity.line_items_table:
        for row in rows:
            if row["zoho_id"] in details:
                row["details_modified_time"] = row[VERSION]
    result = write_rows(conn, table_of(entity), rows, insert_only=insert_only, via=via)
    refresh_written(conn, entity.name, [r["zoho_id"] for r in rows])
    items = 0
    if entity.line_items_table:
        won = {z: d for z, d in details.items() if z in result.current}
        items = replace_line_items(conn, entity, won, utcnow())
    return result, items


def replace_line_items(
    conn: Connection, entity: Entity, details: Mapping[str, Mapping], now: datetime
) -> int:
    """Replace every child table's rows of these records with their details' (line items
    first: the ones that move stock). The number of rows written."""
    if not details:
        return 0
    lines = _stored_items(conn, entity, details)  # the stock the old lines moved comes back
    written = 0
    for child in entity.children:
        table = metadata.tables[child.table]
        conn.execute(delete(table).where(table.c[child.parent_column].in_(list(details))))
        rows = [row for zoho_id, detail in details.items()
                for row in child_rows(child, table, zoho_id, detail, now)]  # fmt: skip
        if child is entity.children[0]:
            _schedule_moves(conn, entity, details, lines, rows)
        written += bulk_load(conn, table, rows)
    return written


def _schedule_moves(
    conn: Connection, entity: Entity, details: Mapping[str, Mapping], lines: dict, new_items: list
) -> None:
    """Stock refreshes for the items on the old and new lines of documents that move stock."""
    if not _moves_stock(entity):
        return
    for item in new_items:
        lines.setdefault(item[entity.line_items_parent_column], set()).add(
            item.get("product_zoho_id")
        )
    versions = {z: parse_zoho_time(d.get("last_modified_time")) for z, d in details.items()}
    schedule(conn, _latest_move(lines, versions), entity.name)


def _moves_stock(entity: Entity) -> bool:
    return entity.moves_stock and bool(entity.line_items_table)


def _stored_items(conn: Connection, entity: Entity, parents: Iterable[str]) -> dict[str, set]:
    """The items on the stored lines of these documents, by document, if it moves stock."""
    items_table = line_items_table_of(entity)
    if not _moves_stock(entity) or items_table is None or not entity.line_items_parent_column:
        return {}
    parent = items_table.c[entity.line_items_parent_column]
    query = select(parent, items_table.c.product_zoho_id).where(parent.in_(list(parents)))
    found: dict[str, set] = {}
    for doc, item in conn.execute(query):
        found.setdefault(doc, set()).add(item)
    return found


def _latest_move(lines: dict[str, set], versions: Mapping[str, datetime | None]) -> dict:
    """Each item with the latest version of the documents naming it."""
    moved: dict = {}
    for doc, items in lines.items():
        at = versions.get(doc)
        for item in items:
            known = moved.get(item)
            moved[item] = at if known is None or (at is not None and at > known) else known
    return moved


def write_record(
    engine: Engine,
    entity: Entity,
    record: Mapping,
    source: str,
    children: Callable[[Connection, dict], None] | None = None,
    *,
    received_at: datetime | None = None,
    via: str = READ,
) -> tuple[str, dict]:
    """One full record (a webhook payload, a fetch by id): (outcome, the row as written).

    `received_at` is the receipt stamp: when a webhook delivery arrived (so events of one
    record applied out of arrival order lose to the later one), else now, as Zoho answered.
    `children` writes what hangs off the record (a price book's prices) in the same
    transaction, only when the record's version is the stored one.
    """
    row = row_of(entity, record, source, received_at or utcnow())
    details = {row["zoho_id"]: record} if has_line_items(entity, record) else {}
    with engine.begin() as conn:
        result, _ = write_page(conn, entity, [row], details, via)
        current = row["zoho_id"] in result.current
        if current and children is not None:
            children(conn, row)
    if result.ambiguous and via == WEBHOOK:
        return AMBIGUOUS, row  # a read lost to it is the freshest answer we hold: no loop
    if result.counts.inserted + result.counts.updated:
        return UPSERTED, row
    return (UNCHANGED if current else STALE), row


def delete_records(conn: Connection, entity: Entity, ids: Iterable[str], at: datetime) -> int:
    """Tombstone records Zoho confirmed gone; a price book takes its prices with it."""
    ids = list(ids)
    deleted = tombstone(conn, table_of(entity), ids, at)
    if deleted and _moves_stock(entity):  # a deleted document's moves are undone by Zoho
        lines = _stored_items(conn, entity, ids)
        schedule(conn, _latest_move(lines, dict.fromkeys(lines, at)), f"{entity.name} deleted")
    if entity.name == "price_lists" and ids:
        free_codes(conn, ids)
        pp = product_prices
        conn.execute(
            update(pp)
            .where(pp.c.price_list_zoho_id.in_(ids), pp.c.deleted_at.is_(None))
            .values(deleted_at=at)
        )
    refresh_written(conn, entity.name, ids)
    return deleted
