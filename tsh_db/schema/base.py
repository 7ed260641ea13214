"""Every table of the replica, as SQLAlchemy Core.

Replicated tables share one shape of bookkeeping columns (`replicated_columns`): the Zoho id as
text (Zoho ids pass 2^53), Zoho's last modified time, the API the row came from, the raw Zoho
record, when we stored it and when Zoho stopped returning it (soft delete). Cross-table
references use Zoho ids, so a row can land before the row it points at.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tsh_db.types import JSONType, Money, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

LIVE = text("deleted_at IS NULL")


def applies_to(obj: object, dialect: str) -> bool:
    """Whether a schema object exists on `dialect`: an index declared with
    `.ddl_if(dialect=...)` (the pg_trgm search index) exists only there. Alembic's compare
    does not read `ddl_if`, so the migration environment and its test filter with this."""
    condition = getattr(obj, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)


def replicated_columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("zoho_id", String(32), nullable=False, unique=True),
        Column("zoho_created_time", UTCDateTime),
        Column("zoho_last_modified_time", UTCDateTime, index=True),
        Column("source", String(16), nullable=False, server_default="books"),
        Column("raw", JSONType),
        Column("synced_at", UTCDateTime, nullable=False),
        Column("deleted_at", UTCDateTime),
        # How the stored version reached us: `read` (a listing or a fetch by id, stamped when
        # Zoho answered) or `webhook` (stamped when the delivery arrived). Two bodies of one
        # version from different ways cannot be ordered by their stamps: see tsh_db.writes.
        Column("received_via", String(8)),
    ]


def document_columns(number: str, party: str) -> list[Column]:
    """Columns every Zoho document (invoice, bill, credit note, sales order) has."""
    return [
        Column(number, String(64)),
        Column(f"{party}_zoho_id", String(32), index=True),
        Column(f"{party}_name", Text),
        Column("date", Date, index=True),
        Column("status", String(32)),
        Column("currency_code", String(8)),
        Column("total", Money),
        # The last_modified_time whose line items are stored: details are fetched again
        # only when Zoho's last_modified_time moves past it.
        Column("details_modified_time", UTCDateTime),
    ]


def line_item_columns(parent: str) -> list[Column]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(f"{parent}_zoho_id", String(32), nullable=False, index=True),
        Column("zoho_line_item_id", String(32), nullable=False),
        Column("product_zoho_id", String(32), index=True),
        Column("name", Text),
        Column("sku", String(128)),
        Column("quantity", Money),
        Column("rate", Money),
        Column("discount", Money),
        Column("tax_percentage", Money),
        Column("item_total", Money),
        Column("raw", JSONType),
        Column("synced_at", UTCDateTime, nullable=False),
        UniqueConstraint(f"{parent}_zoho_id", "zoho_line_item_id"),
    ]


def child_table(table: str, parent: str, key: str, *columns: Column) -> Table:
    """A table of rows that hang off a record (registry `Child`): the parent's Zoho id, the
    row's own key within it, then `columns`. The unique constraint is named short: the
    convention's name passes PostgreSQL's 63 characters."""
    return Table(
        table,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(f"{parent}_zoho_id", String(32), nullable=False, index=True),
        Column(key, String(32), nullable=False),
        *columns,
        Column("raw", JSONType),
        Column("synced_at", UTCDateTime, nullable=False),
        UniqueConstraint(f"{parent}_zoho_id", key, name=f"uq_{table}_line"),
    )


def line_items(table: str, parent: str, *extra: Column) -> Table:
    """A document's line items: the item, then `extra` columns."""
    return child_table(
        table, parent, "zoho_line_item_id",
        Column("product_zoho_id", String(32), index=True),
        Column("name", Text),
        Column("sku", String(128)),
        *extra,
    )  # fmt: skip


def priced_lines() -> list[Column]:
    """The line fields of sales and purchase documents (as `line_item_columns`)."""
    return [Column(name, Money) for name in
            ("quantity", "rate", "discount", "tax_percentage", "item_total")]  # fmt: skip
