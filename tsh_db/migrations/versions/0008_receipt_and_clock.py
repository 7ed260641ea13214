"""receipt order and one clock: how each replicated row's version arrived, Zoho's clock skew

`received_via` (read | webhook) on every replicated table lets the write path tell a listing
from a webhook when two different bodies carry one version; `zoho_rate_limits
.clock_skew_seconds` shares the measured skew of Zoho's clock with every process; the
receiver's dedupe reads each record's latest delivery through `ix_tds_inbox_events_record`.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

REPLICATED = ("products", "warehouses", "customers", "invoices", "bills", "credit_notes",
              "sales_orders", "price_lists")  # fmt: skip


def upgrade() -> None:
    for table in REPLICATED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("received_via", sa.String(8), nullable=True))
    with op.batch_alter_table("zoho_rate_limits") as batch_op:
        batch_op.add_column(sa.Column("clock_skew_seconds", sa.Float(), nullable=True))
    op.create_index(
        "ix_tds_inbox_events_record", "tds_inbox_events", ["entity_type", "entity_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_tds_inbox_events_record", table_name="tds_inbox_events")
    with op.batch_alter_table("zoho_rate_limits") as batch_op:
        batch_op.drop_column("clock_skew_seconds")
    for table in REPLICATED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("received_via")
