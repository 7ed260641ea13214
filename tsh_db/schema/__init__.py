"""Every table, as SQLAlchemy Core, on one MetaData (what Alembic migrates)."""

from tsh_db.schema.base import LIVE, applies_to, metadata
from tsh_db.schema.consumer import consumer_catalog, consumer_catalog_state
from tsh_db.schema.operations import (
    data_investigation_reports,
    tds_inbox_events,
    tds_sync_queue,
    tds_sync_runs,
    zoho_api_slots,
    zoho_oauth_tokens,
    zoho_rate_limits,
    zoho_sync_state,
    zoho_token_refresh_log,
)
from tsh_db.schema.replica import (
    bill_line_items,
    bills,
    credit_notes,
    customers,
    invoice_line_items,
    invoices,
    price_lists,
    product_prices,
    product_warehouse_stock,
    products,
    sales_orders,
    warehouses,
)

__all__ = [
    "LIVE",
    "applies_to",
    "bill_line_items",
    "bills",
    "consumer_catalog",
    "consumer_catalog_state",
    "credit_notes",
    "customers",
    "data_investigation_reports",
    "invoice_line_items",
    "invoices",
    "metadata",
    "price_lists",
    "product_prices",
    "product_warehouse_stock",
    "products",
    "sales_orders",
    "tds_inbox_events",
    "tds_sync_queue",
    "tds_sync_runs",
    "warehouses",
    "zoho_api_slots",
    "zoho_oauth_tokens",
    "zoho_rate_limits",
    "zoho_sync_state",
    "zoho_token_refresh_log",
]
