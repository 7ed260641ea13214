"""product images: Zoho's item image identity on products, and the stored pictures

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import tsh_db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TIME = tsh_db.types.UTCDateTime(timezone=True)
IMAGE_COLUMNS = (
    ("image_document_id", sa.String(length=64)),
    ("image_name", sa.String(length=255)),
    ("image_type", sa.String(length=16)),
)


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        for name, type_ in IMAGE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        "product_images",
        sa.Column("product_zoho_id", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=300), nullable=True),
        sa.Column("path", sa.String(length=96), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("original_bytes", sa.Integer(), nullable=True),
        sa.Column("list_bytes", sa.Integer(), nullable=True),
        sa.Column("detail_bytes", sa.Integer(), nullable=True),
        sa.Column("fetched_at", TIME, nullable=True),
        sa.Column("failed_identity", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failed_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("product_zoho_id", name=op.f("pk_product_images")),
    )


def downgrade() -> None:
    op.drop_table("product_images")
    with op.batch_alter_table("products") as batch:
        for name, _type in reversed(IMAGE_COLUMNS):
            batch.drop_column(name)
