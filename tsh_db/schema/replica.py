"""The replica: one table per Zoho entity, plus line items, stock per warehouse, prices."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tsh_db.schema.base import (
    document_columns,
    line_item_columns,
    line_items,
    metadata,
    priced_lines,
    replicated_columns,
)
from tsh_db.types import Money, UTCDateTime

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
    # Filled from a custom field before migration 0012; pictures are now Zoho's item images
    # (the image_* identity below, files in product_images). Kept for rolling back.
    Column("image_url", Text),
    Column("stock_on_hand", Money),
    Column("available_stock", Money),
    Column("actual_available_stock", Money),
    Column("stock_synced_at", UTCDateTime),
    # Inventory's last_modified_time for the item, and the one whose per-warehouse stock is
    # stored: warehouse details are fetched again only when the two differ.
    Column("inventory_modified_time", UTCDateTime),
    Column("warehouse_stock_modified_time", UTCDateTime),
    Column("warehouse_stock_synced_at", UTCDateTime),
    # Zoho's item image: its identity is the document id, else name and type (migration 0012).
    Column("image_document_id", String(64)),
    Column("image_name", String(255)),
    Column("image_type", String(16)),
)
# Serves the consumer listing: live, active products in name order, so a page is read off
# the index (joined to its price by the unique price index) instead of sorting every match.
CONSUMER_LISTING = text("deleted_at IS NULL AND is_active")
LIVE_ROW = text("deleted_at IS NULL")
Index(
    "ix_products_consumer_listing",
    products.c.name,
    products.c.zoho_id,
    sqlite_where=CONSUMER_LISTING,
    postgresql_where=CONSUMER_LISTING,
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
    Column("owner_zoho_id", String(32), index=True),  # the salesperson: a zoho_users row
    Column("owner_name", Text),
    Column("details_modified_time", UTCDateTime),  # the version its persons are stored at
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


credit_note_line_items = line_items("credit_note_line_items", "credit_note", *priced_lines())

sales_orders = Table(
    "sales_orders",
    metadata,
    *replicated_columns(),
    *document_columns("salesorder_number", "customer"),
    Column("shipment_date", Date),
)
sales_order_line_items = line_items("sales_order_line_items", "sales_order", *priced_lines())

# Inventory's own stock documents: an adjustment corrects stock per warehouse (by quantity or
# by value), a transfer order moves it between two warehouses.
inventory_adjustments = Table(
    "inventory_adjustments",
    metadata,
    *replicated_columns(),
    Column("date", Date, index=True),
    Column("reason", Text),
    Column("adjustment_type", String(16)),
    Column("status", String(32)),
    Column("reference_number", String(64)),
    Column("total", Money),
    Column("details_modified_time", UTCDateTime),
)
inventory_adjustment_line_items = line_items(
    "inventory_adjustment_line_items",
    "inventory_adjustment",
    Column("quantity_adjusted", Money),
    Column("value_adjusted", Money),
    Column("warehouse_zoho_id", String(32), index=True),
    Column("warehouse_name", Text),
)

transfer_orders = Table(
    "transfer_orders",
    metadata,
    *replicated_columns(),
    Column("transfer_order_number", String(64)),
    Column("date", Date, index=True),
    Column("status", String(32)),
    Column("from_warehouse_zoho_id", String(32)),
    Column("from_warehouse_name", Text),
    Column("to_warehouse_zoho_id", String(32)),
    Column("to_warehouse_name", Text),
    Column("details_modified_time", UTCDateTime),
)
transfer_order_line_items = line_items(
    "transfer_order_line_items", "transfer_order", Column("quantity_transfer", Money)
)

price_lists = Table(
    "price_lists",
    metadata,
    *replicated_columns(),
    Column("name", Text, nullable=False),
    # slug of the name plus the currency, e.g. consumer_iqd: what the consumer API selects on.
    # Set when the price book is first stored and kept across renames; unique among live rows
    # only, so a deleted and re-created Consumer book takes the code back.
    Column("code", String(64), nullable=False),
    Column("currency_code", String(8)),
    Column("pricebook_type", String(32)),
    Column("status", String(16)),
)

Index(
    "uq_price_lists_code_live",
    price_lists.c.code,
    unique=True,
    sqlite_where=LIVE_ROW,
    postgresql_where=LIVE_ROW,
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
