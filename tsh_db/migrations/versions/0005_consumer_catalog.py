"""consumer catalogue: what the consumer API serves, and its version

One row per product a consumer may see (consumer IQD price, stock, category, image, search
text), indexes for each sort order, a pg_trgm GIN index for substring search on PostgreSQL,
and the single-row state (version, total, the rules it was built with). The catalogue is
empty until its first build: the next sync or webhook batch that touches a product or a
price builds it, or materialize `consumer_catalog` in Dagster.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import tsh_db.types

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Trusted since PostgreSQL 13: the database owner may create it, no superuser needed.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "consumer_catalog",
        sa.Column("product_zoho_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=True),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("stock", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("created_time", tsh_db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("synced_at", tsh_db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_zoho_id", name=op.f("pk_consumer_catalog")),
    )
    with op.batch_alter_table("consumer_catalog") as batch_op:
        batch_op.create_index("ix_consumer_catalog_name", ["name", "product_zoho_id"])
        batch_op.create_index("ix_consumer_catalog_price", ["price", "product_zoho_id"])
        batch_op.create_index("ix_consumer_catalog_created", ["created_time", "product_zoho_id"])
        batch_op.create_index(
            "ix_consumer_catalog_category", ["category", "name", "product_zoho_id"]
        )
    if postgres:
        op.create_index(
            "ix_consumer_catalog_search", "consumer_catalog", ["search_text"],
            postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"},
        )  # fmt: skip
    op.create_table(
        "consumer_catalog_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("pricelist_code", sa.String(length=64), nullable=False),
        sa.Column("min_stock", sa.Integer(), nullable=False),
        sa.Column("price_list_zoho_id", sa.String(length=32), nullable=True),
        sa.Column("currency_code", sa.String(length=8), nullable=True),
        sa.Column("built_at", tsh_db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", tsh_db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_catalog_state")),
    )


def downgrade() -> None:
    # pg_trgm stays: other objects of the database may have come to use it.
    op.drop_table("consumer_catalog_state")
    op.drop_table("consumer_catalog")
