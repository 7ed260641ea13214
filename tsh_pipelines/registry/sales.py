"""Sales rows: customers, and the documents and payments made to them."""

from __future__ import annotations

from tsh_pipelines.registry.model import (
    BOOKS,
    CONTACT_CHILDREN,
    REPLICA,
    SALES,
    Child,
    Entity,
    document_fields,
    lines,
)

# What customers and vendors share: they are one Zoho module, contacts.
CONTACT_FIELDS = {
    **REPLICA, "name": "contact_name", "company_name": "company_name", "email": "email",
    "phone": "phone", "contact_type": "contact_type", "status": "status",
    "currency_code": "currency_code", "owner_zoho_id": "owner_id", "owner_name": "owner_name",
}  # fmt: skip

CUSTOMERS = Entity(
    name="customers",
    description="Customers (contacts of type customer) from Books, with their persons and "
    "addresses from the detail of each contact new or changed.",
    api=BOOKS, path="contacts", list_key="contacts", record_key="contact",
    id_field="contact_id", group=SALES, webhook_route="customers",
    detail_path="contacts/{id}", children=CONTACT_CHILDREN,
    list_params={"contact_type": "customer"}, match={"contact_type": "customer"},
    fields={**CONTACT_FIELDS, "price_list_zoho_id": "pricebook_id",
            "outstanding_receivable": "outstanding_receivable_amount"},
    refers_to=("zoho_users", "price_lists"),
)  # fmt: skip

INVOICES = Entity(
    name="invoices",
    description="Sales invoices by document month, with line items from the detail call.",
    api=BOOKS, path="invoices", list_key="invoices", record_key="invoice",
    id_field="invoice_id", group=SALES, webhook_route="invoices",
    partition_field="date", detail_path="invoices/{id}",
    children=(lines("invoice_line_items", "invoice"),),
    fields=document_fields("invoice_number", "customer",
                           {"due_date": "due_date", "balance": "balance"}),
    moves_stock=True, refers_to=("customers",),
)  # fmt: skip

CREDIT_NOTES = Entity(
    name="credit_notes",
    description="Credit notes by document month, with line items from the detail call.",
    api=BOOKS, path="creditnotes", list_key="creditnotes", record_key="creditnote",
    id_field="creditnote_id", group=SALES, webhook_route="credit-notes",
    partition_field="date", detail_path="creditnotes/{id}",
    children=(lines("credit_note_line_items", "credit_note"),),
    fields=document_fields("creditnote_number", "customer", {"balance": "balance"}),
    moves_stock=True, refers_to=("customers",),
)  # fmt: skip

SALES_ORDERS = Entity(
    name="sales_orders",
    description="Sales orders by document month, with line items from the detail call.",
    api=BOOKS, path="salesorders", list_key="salesorders", record_key="salesorder",
    id_field="salesorder_id", group=SALES, webhook_route="sales-orders",
    partition_field="date", detail_path="salesorders/{id}",
    children=(lines("sales_order_line_items", "sales_order"),),
    fields=document_fields("salesorder_number", "customer", {"shipment_date": "shipment_date"}),
    moves_stock=True, refers_to=("customers",),
)  # fmt: skip

ESTIMATES = Entity(
    name="estimates",
    description="Estimates (quotes) by document month, with line items from the detail call.",
    api=BOOKS, path="estimates", list_key="estimates", record_key="estimate",
    id_field="estimate_id", group=SALES, webhook_route="estimates",
    partition_field="date", detail_path="estimates/{id}",
    children=(lines("estimate_line_items", "estimate"),),
    fields=document_fields("estimate_number", "customer", {"expiry_date": "expiry_date"}),
    refers_to=("customers",),
)  # fmt: skip

CUSTOMER_PAYMENTS = Entity(
    name="customer_payments",
    description="Payments received by document month, with the invoices each was applied "
    "to (customer_payment_invoices) from the detail call.",
    api=BOOKS, path="customerpayments", list_key="customerpayments", record_key="payment",
    id_field="payment_id", group=SALES, webhook_route="payments",
    partition_field="date", detail_path="customerpayments/{id}",
    children=(Child(
        "customer_payment_invoices", "customer_payment_zoho_id",
        {"zoho_invoice_payment_id": "invoice_payment_id", "invoice_zoho_id": "invoice_id",
         "invoice_number": "invoice_number", "invoice_amount": "invoice_amount",
         "amount_applied": "amount_applied", "balance_amount": "balance_amount"},
        ("invoices",), refers_to=("invoices",),
    ),),
    fields={**REPLICA, "payment_number": "payment_number", "customer_zoho_id": "customer_id",
            "customer_name": "customer_name", "date": "date", "payment_mode": "payment_mode",
            "amount": "amount", "unused_amount": "unused_amount",
            "reference_number": "reference_number", "currency_code": "currency_code",
            "account_zoho_id": "account_id", "account_name": "account_name"},
    refers_to=("customers", "chart_of_accounts"),
)  # fmt: skip
