"""documents that move stock: inventory adjustments, transfer orders, and the line items of
credit notes and sales orders

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tsh_db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIME = tsh_db.types.UTCDateTime(timezone=True)
MONEY = sa.Numeric(precision=20, scale=4)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _replicated() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zoho_id", sa.String(length=32), nullable=False),
        sa.Column("zoho_created_time", TIME, nullable=True),
        sa.Column("zoho_last_modified_time", TIME, nullable=True),
        sa.Column("source", sa.String(length=16), server_default="books", nullable=False),
        sa.Column("raw", JSON, nullable=True),
        sa.Column("synced_at", TIME, nullable=False),
        sa.Column("deleted_at", TIME, nullable=True),
        sa.Column("received_via", sa.String(length=8), nullable=True),
    ]


def _document(table: str, *columns: sa.Column) -> None:
    op.create_table(
        table,
        *_replicated(),
        *columns,
        sa.Column("details_modified_time", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("zoho_id", name=op.f(f"uq_{table}_zoho_id")),
    )
    for column in ("date", "zoho_last_modified_time"):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _line_items(table: str, parent: str, *columns: sa.Column, indexed: tuple = ()) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(parent, sa.String(length=32), nullable=False),
        sa.Column("zoho_line_item_id", sa.String(length=32), nullable=False),
        sa.Column("product_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("sku", sa.String(length=128), nullable=True),
        *columns,
        sa.Column("raw", JSON, nullable=True),
        sa.Column("synced_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(parent, "zoho_line_item_id", name=f"uq_{table}_line"),
    )
    for column in (parent, "product_zoho_id", *indexed):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _priced() -> list[sa.Column]:
    names = ("quantity", "rate", "discount", "tax_percentage", "item_total")
    return [sa.Column(name, MONEY, nullable=True) for name in names]


def upgrade() -> None:
    _line_items("credit_note_line_items", "credit_note_zoho_id", *_priced())
    _line_items("sales_order_line_items", "sales_order_zoho_id", *_priced())
    _document(
        "inventory_adjustments",
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("adjustment_type", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("reference_number", sa.String(length=64), nullable=True),
        sa.Column("total", MONEY, nullable=True),
    )
    _line_items(
        "inventory_adjustment_line_items",
        "inventory_adjustment_zoho_id",
        sa.Column("quantity_adjusted", MONEY, nullable=True),
        sa.Column("value_adjusted", MONEY, nullable=True),
        sa.Column("warehouse_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("warehouse_name", sa.Text(), nullable=True),
        indexed=("warehouse_zoho_id",),
    )
    _document(
        "transfer_orders",
        sa.Column("transfer_order_number", sa.String(length=64), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("from_warehouse_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("from_warehouse_name", sa.Text(), nullable=True),
        sa.Column("to_warehouse_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("to_warehouse_name", sa.Text(), nullable=True),
    )
    _line_items(
        "transfer_order_line_items",
        "transfer_order_zoho_id",
        sa.Column("quantity_transfer", MONEY, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "transfer_order_line_items", "transfer_orders", "inventory_adjustment_line_items",
        "inventory_adjustments", "sales_order_line_items", "credit_note_line_items",
    ):  # fmt: skip
        op.drop_table(table)  # its indexes go with it
