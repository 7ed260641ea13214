"""one write path: price list codes unique among live rows, per-warehouse stock read time

A deleted and re-created Consumer price book must be able to take its code back, so `code`
is unique only among live rows. Per-warehouse stock is versioned like every replicated row:
Inventory's last_modified_time, then the moment it was read (`warehouse_stock_synced_at`).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import tsh_db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("price_lists") as batch_op:
        batch_op.drop_constraint("uq_price_lists_code", type_="unique")
        batch_op.create_index(
            "uq_price_lists_code_live", ["code"], unique=True,
            sqlite_where=LIVE, postgresql_where=LIVE,
        )  # fmt: skip
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(
            sa.Column(
                "warehouse_stock_synced_at", tsh_db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("warehouse_stock_synced_at")
    with op.batch_alter_table("price_lists") as batch_op:
        batch_op.drop_index("uq_price_lists_code_live", sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_unique_constraint("uq_price_lists_code", ["code"])
