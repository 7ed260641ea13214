"""Every table of the replica, as SQLAlchemy Core.

Replicated tables share one shape of bookkeeping columns (`replicated_columns`): the Zoho id as
text (Zoho ids pass 2^53), Zoho's last modified time, the API the row came from, the raw Zoho
record, when we stored it and when Zoho stopped returning it (soft delete). Cross-table
references use Zoho ids, so a row can land before the row it points at.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
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


products = Table(
    "products",
    metadata,
    *replicated_columns(),
    Column("name", Text, nullable=False),
    Column("sku", String(128), index=True),
    Column("description", Text),
    Column("category", String(128), index=True),
    Column("brand", String(128)),
    Column("unit", String(32)),
    Column("status", String(16)),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("price", Money),
    Column("purchase_price", Money),
    Column("image_url", Text),
    Column("stock_on_hand", Money),
    Column("available_stock", Money),
    Column("actual_available_stock", Money),
    Column("stock_synced_at", UTCDateTime),
    # Inventory's last_modified_time for the item, and the one whose per-warehouse stock is
    # stored: warehouse details are fetched again only when the two differ.
    Column("inventory_modified_time", UTCDateTime),
    Column("warehouse_stock_modified_time", UTCDateTime),
)
# Serves the consumer listing: active, live products with stock, ordered by name.
Index(
    "ix_products_consumer_listing",
    products.c.is_active,
    products.c.actual_available_stock,
    products.c.name,
    sqlite_where=LIVE,
    postgresql_where=LIVE,
)

warehouses = Table(
    "warehouses",
    metadata,
    *replicated_columns(),
    Column("name", Text, nullable=False),
    Column("status", String(16)),
    Column("is_primary", Boolean, nullable=False, server_default=text("false")),
    Column("city", String(64)),
)

product_warehouse_stock = Table(
    "product_warehouse_stock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product_zoho_id", String(32), nullable=False),
    Column("warehouse_zoho_id", String(32), nullable=False, index=True),
    Column("warehouse_name", Text),
    Column("stock_on_hand", Money),
    Column("available_stock", Money),
    Column("actual_available_stock", Money),
    Column("synced_at", UTCDateTime, nullable=False),
    UniqueConstraint("product_zoho_id", "warehouse_zoho_id"),
)

customers = Table(
    "customers",
    metadata,
    *replicated_columns(),
    Column("name", Text, nullable=False),
    Column("company_name", Text),
    Column("email", Text),
    Column("phone", String(64)),
    Column("contact_type", String(16)),
    Column("status", String(16)),
    Column("currency_code", String(8)),
    Column("price_list_zoho_id", String(32)),
    Column("outstanding_receivable", Money),
)

invoices = Table(
    "invoices",
    metadata,
    *replicated_columns(),
    *document_columns("invoice_number", "customer"),
    Column("due_date", Date),
    Column("balance", Money),
)
invoice_line_items = Table("invoice_line_items", metadata, *line_item_columns("invoice"))

bills = Table(
    "bills",
    metadata,
    *replicated_columns(),
    *document_columns("bill_number", "vendor"),
    Column("due_date", Date),
    Column("balance", Money),
)
bill_line_items = Table("bill_line_items", metadata, *line_item_columns("bill"))

credit_notes = Table(
    "credit_notes",
    metadata,
    *replicated_columns(),
    *document_columns("creditnote_number", "customer"),
    Column("balance", Money),
)

sales_orders = Table(
    "sales_orders",
    metadata,
    *replicated_columns(),
    *document_columns("salesorder_number", "customer"),
    Column("shipment_date", Date),
)

price_lists = Table(
    "price_lists",
    metadata,
    *replicated_columns(),
    Column("name", Text, nullable=False),
    # slug of the name plus the currency, e.g. consumer_iqd: what the consumer API selects on.
    Column("code", String(64), nullable=False, unique=True),
    Column("currency_code", String(8)),
    Column("pricebook_type", String(32)),
    Column("status", String(16)),
)

product_prices = Table(
    "product_prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("price_list_zoho_id", String(32), nullable=False),
    Column("product_zoho_id", String(32), nullable=False, index=True),
    Column("zoho_pricebook_item_id", String(32)),
    Column("price", Money),
    Column("currency", String(8)),
    Column("synced_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
    UniqueConstraint("price_list_zoho_id", "product_zoho_id"),
)

tds_inbox_events = Table(
    "tds_inbox_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Zoho sends no event id: the receiver derives this dedupe key from the delivery.
    Column("event_id", String(64), nullable=False, unique=True),
    Column("source_type", String(16), nullable=False, server_default="zoho"),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(32), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("raw_payload", JSONType, nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("processed_at", UTCDateTime),
    Column("status", String(16), nullable=False, server_default="pending"),
)

tds_sync_queue = Table(
    "tds_sync_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inbox_event_id", Integer, ForeignKey("tds_inbox_events.id", ondelete="CASCADE")),
    Column("entity_type", String(32), nullable=False, index=True),
    Column("entity_id", String(32)),
    Column("zoho_entity_id", String(32), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("priority", Integer, nullable=False, server_default="5"),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("retry_count", Integer, nullable=False, server_default="0"),
    Column("error_message", Text),
    Column("claimed_by", String(128)),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_expires_at", UTCDateTime),
    Column("processing_started_at", UTCDateTime),
    Column("processing_completed_at", UTCDateTime),
    Index("ix_tds_sync_queue_due", "status", "next_attempt_at"),
)

tds_sync_runs = Table(
    "tds_sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_type", String(32), nullable=False),
    Column("entity_type", String(32), nullable=False, index=True),
    Column("source_type", String(16), nullable=False, server_default="zoho"),
    Column("status", String(16), nullable=False),
    Column("total_items", Integer, nullable=False, server_default="0"),
    Column("processed_items", Integer, nullable=False, server_default="0"),
    Column("failed_items", Integer, nullable=False, server_default="0"),
    Column("inserted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("soft_deleted", Integer, nullable=False, server_default="0"),
    Column("api_calls", Integer, nullable=False, server_default="0"),
    Column("started_at", UTCDateTime, nullable=False, index=True),
    Column("completed_at", UTCDateTime),
    Column("error_log", Text),
    Column("dagster_run_id", String(64)),
)

zoho_sync_state = Table(
    "zoho_sync_state",
    metadata,
    Column("entity", String(32), primary_key=True),
    # Advanced only after the rows that justify it are committed.
    Column("watermark", UTCDateTime),
    Column("last_full_refresh_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

zoho_oauth_tokens = Table(
    "zoho_oauth_tokens",
    metadata,
    # One row per OAuth client (a hash of client id and refresh token, never the secret itself).
    Column("client_key", String(64), primary_key=True),
    Column("access_token", Text),
    Column("api_domain", Text),
    Column("expires_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime),
    # Set while Zoho's token throttle holds: nobody asks for a token before it.
    Column("blocked_until", UTCDateTime),
    # Set when Zoho rejected the refresh token: nobody asks again with the same credentials.
    Column("fatal_error", Text),
)

zoho_token_refresh_log = Table(
    "zoho_token_refresh_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("refresh_type", String(20), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("error_message", Text),
    Column("token_expires_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime, nullable=False, index=True),
)

zoho_rate_limits = Table(
    "zoho_rate_limits",
    metadata,
    # One token bucket and one daily counter per API, shared by every process.
    Column("api", String(16), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("refilled_at", UTCDateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("day_calls", Integer, nullable=False, server_default="0"),
)

zoho_api_slots = Table(
    "zoho_api_slots",
    metadata,
    # In-flight call slots per API. A slot is leased, not counted, so a process that dies
    # mid-call frees its slot when the lease runs out instead of leaking it forever.
    Column("api", String(16), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("lease_until", UTCDateTime),
    Column("holder", String(64)),
)

data_investigation_reports = Table(
    "data_investigation_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_date", Date, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("report_data", JSONType, nullable=False),
    Column("dagster_run_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)
