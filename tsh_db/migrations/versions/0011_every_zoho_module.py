"""every zoho module: vendors (moved out of customers, every row and version kept), contact
persons and addresses, purchase orders, estimates, vendor credits, customer and vendor payments
with what they were applied to, expenses, users, taxes, currencies and the chart of accounts

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tsh_db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = tsh_db.types.UTCDateTime(timezone=True)
MONEY = sa.Numeric(precision=20, scale=4)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.String(length=32)
# The columns a vendor row keeps from its customers row (the rest are customers' own).
MOVED = (
    "zoho_id", "zoho_created_time", "zoho_last_modified_time", "source", "raw", "synced_at",
    "deleted_at", "received_via", "name", "company_name", "email", "phone", "contact_type",
    "status", "currency_code",
)  # fmt: skip
TABLES = (
    "vendors", "contact_persons", "contact_addresses", "purchase_orders",
    "purchase_order_line_items", "estimates", "estimate_line_items", "vendor_credits",
    "vendor_credit_line_items", "customer_payments", "customer_payment_invoices",
    "vendor_payments", "vendor_payment_bills", "expenses", "zoho_users", "taxes", "currencies",
    "chart_of_accounts",
)  # fmt: skip


def _col(name: str, kind: sa.types.TypeEngine) -> sa.Column:
    return sa.Column(name, kind, nullable=True)


def _text(*names: str) -> list[sa.Column]:
    return [_col(n, sa.Text()) for n in names]


def _replicated(table: str, *columns: sa.Column, indexed: tuple[str, ...] = ()) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zoho_id", ID, nullable=False),
        _col("zoho_created_time", TIME),
        _col("zoho_last_modified_time", TIME),
        sa.Column("source", sa.String(length=16), server_default="books", nullable=False),
        _col("raw", JSON),
        sa.Column("synced_at", TIME, nullable=False),
        _col("deleted_at", TIME),
        _col("received_via", sa.String(length=8)),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("zoho_id", name=op.f(f"uq_{table}_zoho_id")),
    )
    for column in ("zoho_last_modified_time", *indexed):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _document(table: str, number: str, party: str, *extra: sa.Column) -> None:
    _replicated(
        table, _col(number, sa.String(length=64)), _col(f"{party}_zoho_id", ID),
        _col(f"{party}_name", sa.Text()), _col("date", sa.Date()),
        _col("status", sa.String(length=32)), _col("currency_code", sa.String(length=8)),
        _col("total", MONEY), _col("details_modified_time", TIME), *extra,
        indexed=("date", f"{party}_zoho_id"),
    )  # fmt: skip


def _child(table: str, parent: str, key: str, *columns: sa.Column, indexed: tuple = ()) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(parent, ID, nullable=False),
        sa.Column(key, ID, nullable=False),
        *columns,
        _col("raw", JSON),
        sa.Column("synced_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(parent, key, name=f"uq_{table}_line"),
    )
    for column in (parent, *indexed):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _line_items(table: str, parent: str) -> None:
    priced = ("quantity", "rate", "discount", "tax_percentage", "item_total")
    _child(
        table, parent, "zoho_line_item_id", _col("product_zoho_id", ID), _col("name", sa.Text()),
        _col("sku", sa.String(length=128)), *(_col(n, MONEY) for n in priced),
        indexed=("product_zoho_id",),
    )  # fmt: skip


def _payment(table: str, party: str, *extra: sa.Column) -> None:
    _replicated(
        table, _col("payment_number", sa.String(length=64)), _col(f"{party}_zoho_id", ID),
        _col(f"{party}_name", sa.Text()), _col("date", sa.Date()),
        _col("payment_mode", sa.String(length=64)), _col("amount", MONEY),
        _col("reference_number", sa.String(length=128)),
        _col("currency_code", sa.String(length=8)), _col("details_modified_time", TIME), *extra,
        indexed=(f"{party}_zoho_id", "date"),
    )  # fmt: skip


def upgrade() -> None:
    owner = (_col("owner_zoho_id", ID), _col("owner_name", sa.Text()))
    for column in (*owner, _col("details_modified_time", TIME)):
        op.add_column("customers", column)
    op.create_index(op.f("ix_customers_owner_zoho_id"), "customers", ["owner_zoho_id"])
    _replicated(
        "vendors", sa.Column("name", sa.Text(), nullable=False), *_text("company_name", "email"),
        _col("phone", sa.String(length=64)), _col("contact_type", sa.String(length=16)),
        _col("status", sa.String(length=16)), _col("currency_code", sa.String(length=8)),
        *(_col(c.name, c.type) for c in owner), _col("details_modified_time", TIME),
        _col("outstanding_payable", MONEY), indexed=("owner_zoho_id",),
    )  # fmt: skip
    _child(
        "contact_persons", "contact_zoho_id", "zoho_contact_person_id",
        *_text("first_name", "last_name", "email"), _col("phone", sa.String(length=64)),
        _col("mobile", sa.String(length=64)), _col("is_primary", sa.Boolean()),
    )  # fmt: skip
    _child(
        "contact_addresses", "contact_zoho_id", "address_type", _col("zoho_address_id", ID),
        *_text("attention", "address", "street2", "city", "state"),
        _col("zip", sa.String(length=32)), *_text("country"), _col("phone", sa.String(length=64)),
    )  # fmt: skip
    _document("purchase_orders", "purchaseorder_number", "vendor", _col("delivery_date", sa.Date()))
    _line_items("purchase_order_line_items", "purchase_order_zoho_id")
    _document("estimates", "estimate_number", "customer", _col("expiry_date", sa.Date()))
    _line_items("estimate_line_items", "estimate_zoho_id")
    _document("vendor_credits", "vendor_credit_number", "vendor", _col("balance", MONEY))
    _line_items("vendor_credit_line_items", "vendor_credit_zoho_id")
    _payment(
        "customer_payments", "customer", _col("unused_amount", MONEY),
        _col("account_zoho_id", ID), _col("account_name", sa.Text()),
    )  # fmt: skip
    _child(
        "customer_payment_invoices", "customer_payment_zoho_id", "zoho_invoice_payment_id",
        _col("invoice_zoho_id", ID), _col("invoice_number", sa.String(length=64)),
        *(_col(n, MONEY) for n in ("invoice_amount", "amount_applied", "balance_amount")),
        indexed=("invoice_zoho_id",),
    )  # fmt: skip
    _payment(
        "vendor_payments", "vendor", _col("balance", MONEY),
        _col("paid_through_account_zoho_id", ID), _col("paid_through_account_name", sa.Text()),
    )  # fmt: skip
    _child(
        "vendor_payment_bills", "vendor_payment_zoho_id", "zoho_bill_payment_id",
        _col("bill_zoho_id", ID), _col("bill_number", sa.String(length=64)),
        *(_col(n, MONEY) for n in ("total", "balance", "amount_applied")),
        indexed=("bill_zoho_id",),
    )  # fmt: skip
    _replicated(
        "expenses", _col("date", sa.Date()), _col("account_zoho_id", ID),
        _col("account_name", sa.Text()), _col("paid_through_account_zoho_id", ID),
        _col("vendor_zoho_id", ID), _col("vendor_name", sa.Text()), _col("customer_zoho_id", ID),
        _col("total", MONEY), _col("currency_code", sa.String(length=8)),
        _col("reference_number", sa.String(length=128)), _col("description", sa.Text()),
        _col("status", sa.String(length=32)), indexed=("date", "vendor_zoho_id"),
    )  # fmt: skip
    _replicated(
        "zoho_users", *_text("name", "email"), _col("role", sa.String(length=64)),
        _col("role_zoho_id", ID), _col("status", sa.String(length=16)),
    )  # fmt: skip
    _replicated(
        "taxes", *_text("name"), _col("percentage", MONEY), _col("tax_type", sa.String(length=32)),
        _col("is_default", sa.Boolean()),
    )  # fmt: skip
    _replicated(
        "currencies", _col("currency_code", sa.String(length=8)), *_text("name"),
        _col("symbol", sa.String(length=16)), _col("price_precision", sa.Integer()),
        _col("is_base", sa.Boolean()), _col("exchange_rate", sa.Numeric(precision=24, scale=10)),
    )  # fmt: skip
    _replicated(
        "chart_of_accounts", *_text("name"), _col("account_code", sa.String(length=64)),
        _col("account_type", sa.String(length=64)), _col("is_active", sa.Boolean()),
        _col("currency_code", sa.String(length=8)), *_text("description"),
        _col("parent_account_zoho_id", ID),
    )  # fmt: skip
    _move_vendors()


def _move_vendors() -> None:
    """Contacts of type vendor move to `vendors` with their version, raw record and tombstone;
    their persons and addresses come with their next detail read (details_modified_time is
    empty, so the next sync reads it)."""
    columns = ", ".join(MOVED)
    op.execute(
        f"INSERT INTO vendors ({columns}) SELECT {columns} FROM customers "
        "WHERE contact_type = 'vendor'"
    )
    op.execute("DELETE FROM customers WHERE contact_type = 'vendor'")


def downgrade() -> None:
    columns = ", ".join(MOVED)
    op.execute(f"INSERT INTO customers ({columns}) SELECT {columns} FROM vendors")
    for table in reversed(TABLES):
        op.drop_table(table)  # its indexes go with it
    op.drop_index(op.f("ix_customers_owner_zoho_id"), table_name="customers")
    for column in ("details_modified_time", "owner_name", "owner_zoho_id"):
        op.drop_column("customers", column)
