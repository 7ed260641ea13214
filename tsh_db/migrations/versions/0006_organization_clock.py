"""the organisation's clock: its time zone, and when Zoho resets the daily counter

Zoho writes timestamps and counts the daily call limit in the organisation's time zone.
`zoho_organizations` caches the organisation record (read once from Zoho), and
`zoho_rate_limits.resets_at` holds when the daily counter resets (X-Rate-Limit-Reset).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import tsh_db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zoho_organizations",
        sa.Column("organization_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255)),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("read_at", tsh_db.types.UTCDateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("zoho_rate_limits") as batch_op:
        batch_op.add_column(
            sa.Column("resets_at", tsh_db.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("zoho_rate_limits") as batch_op:
        batch_op.drop_column("resets_at")
    op.drop_table("zoho_organizations")
