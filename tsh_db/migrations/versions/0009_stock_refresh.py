"""stock follows documents: the items whose stock a document change may have moved

`tds_stock_refresh` holds one row per item, written in the transaction of the document
write; the webhook runs and `stock_refresh_sensor` refresh what is due, coalesced, batched.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import tsh_db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tds_stock_refresh",
        sa.Column("item_zoho_id", sa.String(32), nullable=False),
        sa.Column("requested_at", tsh_db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("moved_at", tsh_db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("claim_id", sa.String(32), nullable=True),
        sa.Column("claimed_at", tsh_db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", tsh_db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("item_zoho_id", name=op.f("pk_tds_stock_refresh")),
    )
    op.create_index(
        op.f("ix_tds_stock_refresh_requested_at"), "tds_stock_refresh", ["requested_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tds_stock_refresh_requested_at"), table_name="tds_stock_refresh")
    op.drop_table("tds_stock_refresh")
