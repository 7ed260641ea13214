"""consumer listing index in name order

The first index led with is_active and stock, which no listing query could use for its
ORDER BY name; this one lets a page be read off the index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
LISTING = sa.text("deleted_at IS NULL AND is_active")


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_index(
            "ix_products_consumer_listing", sqlite_where=LIVE, postgresql_where=LIVE
        )
        batch_op.create_index(
            "ix_products_consumer_listing", ["name", "zoho_id"], unique=False,
            sqlite_where=LISTING, postgresql_where=LISTING,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_index(
            "ix_products_consumer_listing", sqlite_where=LISTING, postgresql_where=LISTING
        )
        batch_op.create_index(
            "ix_products_consumer_listing", ["is_active", "actual_available_stock", "name"],
            unique=False, sqlite_where=LIVE, postgresql_where=LIVE,
        )  # fmt: skip
