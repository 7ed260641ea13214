"""the orders outbox

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tsh_db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIME = tsh_db.types.UTCDateTime(timezone=True)
MONEY = sa.Numeric(precision=20, scale=4)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tds_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column("customer_phone", sa.String(length=64), nullable=True),
        sa.Column("total_amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("deferrals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", TIME, nullable=True),
        sa.Column("customer_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("customer_sent_at", TIME, nullable=True),
        sa.Column("zoho_document_type", sa.String(length=16), nullable=True),
        sa.Column("zoho_document_id", sa.String(length=32), nullable=True),
        sa.Column("zoho_document_number", sa.String(length=64), nullable=True),
        sa.Column("document_sent_at", TIME, nullable=True),
        sa.Column("zoho_payment_id", sa.String(length=32), nullable=True),
        sa.Column("payment_sent_at", TIME, nullable=True),
        sa.Column("zoho_calls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TIME, nullable=True),
        sa.Column("synced_at", TIME, nullable=True),
        sa.Column("cancelled_at", TIME, nullable=True),
        sa.Column("voided_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tds_outbox")),
        sa.UniqueConstraint("kind", "external_id", name=op.f("uq_tds_outbox_kind_external_id")),
    )
    op.create_index("ix_tds_outbox_due", "tds_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_tds_outbox_customer_email"), "tds_outbox", ["customer_email"])
    op.create_index(op.f("ix_tds_outbox_zoho_document_id"), "tds_outbox", ["zoho_document_id"])


def downgrade() -> None:
    op.drop_table("tds_outbox")  # its indexes go with it
