"""Purchase rows: vendors, and the documents and payments made to them."""

from __future__ import annotations

from tsh_pipelines.registry.model import (
    BOOKS,
    CONTACT_CHILDREN,
    PURCHASES,
    REPLICA,
    Child,
    Entity,
    document_fields,
    lines,
)
from tsh_pipelines.registry.sales import CONTACT_FIELDS

VENDORS = Entity(
    name="vendors",
    description="Vendors (contacts of type vendor) from Books, with their persons and "
    "addresses from the detail of each contact new or changed.",
    api=BOOKS, path="contacts", list_key="contacts", record_key="contact",
    id_field="contact_id", group=PURCHASES, webhook_route="vendors",
    detail_path="contacts/{id}", children=CONTACT_CHILDREN,
    list_params={"contact_type": "vendor"}, match={"contact_type": "vendor"},
    fields={**CONTACT_FIELDS, "outstanding_payable": "outstanding_payable_amount"},
    refers_to=("zoho_users",),
)  # fmt: skip

BILLS = Entity(
    name="bills",
    description="Purchase bills by document month, with line items from the detail call.",
    api=BOOKS, path="bills", list_key="bills", record_key="bill", id_field="bill_id",
    group=PURCHASES, webhook_route="bills", partition_field="date",
    detail_path="bills/{id}", children=(lines("bill_line_items", "bill"),),
    fields=document_fields("bill_number", "vendor", {"due_date": "due_date", "balance": "balance"}),
    moves_stock=True, refers_to=("vendors",),
)  # fmt: skip

PURCHASE_ORDERS = Entity(
    name="purchase_orders",
    description="Purchase orders by document month, with line items from the detail call.",
    api=BOOKS, path="purchaseorders", list_key="purchaseorders", record_key="purchaseorder",
    id_field="purchaseorder_id", group=PURCHASES, webhook_route="purchase-orders",
    partition_field="date", detail_path="purchaseorders/{id}",
    children=(lines("purchase_order_line_items", "purchase_order"),),
    fields=document_fields("purchaseorder_number", "vendor", {"delivery_date": "delivery_date"}),
    refers_to=("vendors",),
)  # fmt: skip

VENDOR_CREDITS = Entity(
    name="vendor_credits",
    description="Vendor credits by document month, with line items from the detail call.",
    api=BOOKS, path="vendorcredits", list_key="vendor_credits", record_key="vendor_credit",
    id_field="vendor_credit_id", group=PURCHASES, webhook_route="vendor-credits",
    partition_field="date", detail_path="vendorcredits/{id}",
    children=(lines("vendor_credit_line_items", "vendor_credit"),),
    fields=document_fields("vendor_credit_number", "vendor", {"balance": "balance"}),
    refers_to=("vendors",),
)  # fmt: skip

VENDOR_PAYMENTS = Entity(
    name="vendor_payments",
    description="Payments made by document month, with the bills each was applied to "
    "(vendor_payment_bills) from the detail call.",
    api=BOOKS, path="vendorpayments", list_key="vendorpayments", record_key="vendorpayment",
    id_field="payment_id", group=PURCHASES, webhook_route="vendor-payments",
    partition_field="date", detail_path="vendorpayments/{id}",
    children=(Child(
        "vendor_payment_bills", "vendor_payment_zoho_id",
        {"zoho_bill_payment_id": "bill_payment_id", "bill_zoho_id": "bill_id",
         "bill_number": "bill_number", "total": "total", "balance": "balance",
         "amount_applied": "amount_applied"},
        ("bills",), refers_to=("bills",),
    ),),
    fields={**REPLICA, "payment_number": "payment_number", "vendor_zoho_id": "vendor_id",
            "vendor_name": "vendor_name", "date": "date", "payment_mode": "payment_mode",
            "amount": "amount", "balance": "balance", "reference_number": "reference_number",
            "currency_code": "currency_code",
            "paid_through_account_zoho_id": "paid_through_account_id",
            "paid_through_account_name": "paid_through_account_name"},
    refers_to=("vendors", "chart_of_accounts"),
)  # fmt: skip

EXPENSES = Entity(
    name="expenses",
    description="Expenses by document month (Zoho's workflow rules do not cover them: kept "
    "current by the incremental sync).",
    api=BOOKS, path="expenses", list_key="expenses", record_key="expense",
    id_field="expense_id", group=PURCHASES, partition_field="date",
    fields={**REPLICA, "date": "date", "account_zoho_id": "account_id",
            "account_name": "account_name",
            "paid_through_account_zoho_id": "paid_through_account_id",
            "vendor_zoho_id": "vendor_id", "vendor_name": "vendor_name",
            "customer_zoho_id": "customer_id", "total": "total",
            "currency_code": "currency_code", "reference_number": "reference_number",
            "description": "description", "status": "status"},
    refers_to=("chart_of_accounts", "vendors"),
)  # fmt: skip
