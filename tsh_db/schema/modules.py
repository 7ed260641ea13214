"""The rest of the business Zoho keeps: vendors and people, purchase orders, estimates,
payments and what they were applied to, expenses, and the settings documents point at.

Named as TSH's schema names them; references are Zoho ids, like the rest of the replica.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, Numeric, String, Table, Text

from tsh_db.schema.base import (
    child_table,
    document_columns,
    line_items,
    metadata,
    priced_lines,
    replicated_columns,
)
from tsh_db.types import Money, UTCDateTime


def _contact_columns() -> list[Column]:
    return [
        Column("name", Text, nullable=False),
        Column("company_name", Text),
        Column("email", Text),
        Column("phone", String(64)),
        Column("contact_type", String(16)),
        Column("status", String(16)),
        Column("currency_code", String(8)),
        Column("owner_zoho_id", String(32), index=True),
        Column("owner_name", Text),
        Column("details_modified_time", UTCDateTime),
    ]


vendors = Table(
    "vendors", metadata, *replicated_columns(), *_contact_columns(),
    Column("outstanding_payable", Money),
)  # fmt: skip

# Of customers and vendors alike (a contact id is one or the other).
contact_persons = child_table(
    "contact_persons", "contact", "zoho_contact_person_id",
    Column("first_name", Text), Column("last_name", Text), Column("email", Text),
    Column("phone", String(64)), Column("mobile", String(64)), Column("is_primary", Boolean),
)  # fmt: skip
contact_addresses = child_table(
    "contact_addresses", "contact", "address_type",  # billing | shipping
    Column("zoho_address_id", String(32)), Column("attention", Text), Column("address", Text),
    Column("street2", Text), Column("city", Text), Column("state", Text), Column("zip", String(32)),
    Column("country", Text), Column("phone", String(64)),
)  # fmt: skip

purchase_orders = Table(
    "purchase_orders", metadata, *replicated_columns(),
    *document_columns("purchaseorder_number", "vendor"), Column("delivery_date", Date),
)  # fmt: skip
purchase_order_line_items = line_items("purchase_order_line_items", "purchase_order",
                                       *priced_lines())  # fmt: skip

estimates = Table(
    "estimates", metadata, *replicated_columns(),
    *document_columns("estimate_number", "customer"), Column("expiry_date", Date),
)  # fmt: skip
estimate_line_items = line_items("estimate_line_items", "estimate", *priced_lines())

vendor_credits = Table(
    "vendor_credits", metadata, *replicated_columns(),
    *document_columns("vendor_credit_number", "vendor"), Column("balance", Money),
)  # fmt: skip
vendor_credit_line_items = line_items("vendor_credit_line_items", "vendor_credit",
                                      *priced_lines())  # fmt: skip


def _payment_columns(party: str) -> list[Column]:
    return [
        Column("payment_number", String(64)),
        Column(f"{party}_zoho_id", String(32), index=True),
        Column(f"{party}_name", Text),
        Column("date", Date, index=True),
        Column("payment_mode", String(64)),
        Column("amount", Money),
        Column("reference_number", String(128)),
        Column("currency_code", String(8)),
        Column("details_modified_time", UTCDateTime),
    ]


customer_payments = Table(
    "customer_payments", metadata, *replicated_columns(), *_payment_columns("customer"),
    Column("unused_amount", Money), Column("account_zoho_id", String(32)),
    Column("account_name", Text),
)  # fmt: skip
customer_payment_invoices = child_table(
    "customer_payment_invoices", "customer_payment", "zoho_invoice_payment_id",
    Column("invoice_zoho_id", String(32), index=True), Column("invoice_number", String(64)),
    Column("invoice_amount", Money), Column("amount_applied", Money),
    Column("balance_amount", Money),
)  # fmt: skip

vendor_payments = Table(
    "vendor_payments", metadata, *replicated_columns(), *_payment_columns("vendor"),
    Column("balance", Money), Column("paid_through_account_zoho_id", String(32)),
    Column("paid_through_account_name", Text),
)  # fmt: skip
vendor_payment_bills = child_table(
    "vendor_payment_bills", "vendor_payment", "zoho_bill_payment_id",
    Column("bill_zoho_id", String(32), index=True), Column("bill_number", String(64)),
    Column("total", Money), Column("balance", Money), Column("amount_applied", Money),
)  # fmt: skip

expenses = Table(
    "expenses", metadata, *replicated_columns(),
    Column("date", Date, index=True), Column("account_zoho_id", String(32)),
    Column("account_name", Text), Column("paid_through_account_zoho_id", String(32)),
    Column("vendor_zoho_id", String(32), index=True), Column("vendor_name", Text),
    Column("customer_zoho_id", String(32)), Column("total", Money),
    Column("currency_code", String(8)), Column("reference_number", String(128)),
    Column("description", Text), Column("status", String(32)),
)  # fmt: skip

zoho_users = Table(
    "zoho_users", metadata, *replicated_columns(),
    Column("name", Text), Column("email", Text), Column("role", String(64)),
    Column("role_zoho_id", String(32)), Column("status", String(16)),
)  # fmt: skip
taxes = Table(
    "taxes", metadata, *replicated_columns(),
    Column("name", Text), Column("percentage", Money), Column("tax_type", String(32)),
    Column("is_default", Boolean),
)  # fmt: skip
currencies = Table(
    "currencies", metadata, *replicated_columns(),
    Column("currency_code", String(8)), Column("name", Text), Column("symbol", String(16)),
    Column("price_precision", Integer), Column("is_base", Boolean),
    Column("exchange_rate", Numeric(24, 10)),  # IQD per USD is 1310; USD per IQD needs digits
)  # fmt: skip
chart_of_accounts = Table(
    "chart_of_accounts", metadata, *replicated_columns(),
    Column("name", Text), Column("account_code", String(64)), Column("account_type", String(64)),
    Column("is_active", Boolean), Column("currency_code", String(8)), Column("description", Text),
    Column("parent_account_zoho_id", String(32)),
)  # fmt: skip
