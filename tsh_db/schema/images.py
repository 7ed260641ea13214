"""Product pictures: which of Zoho's item images is stored, where, and what went wrong.

Written only by the pipelines' `product_images` asset (`tsh_pipelines.sync.images`); the
consumer catalogue takes each visible product's picture from here. The files themselves live
content-addressed in the media store (`tsh_pipelines.images`), named by `path`.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from tsh_db.schema.base import metadata
from tsh_db.types import UTCDateTime

product_images = Table(
    "product_images",
    metadata,
    Column("product_zoho_id", String(32), primary_key=True),
    # Zoho's image identity (image_document_id, else image_name|image_type) last fetched:
    # the image is fetched again only when the product's identity differs from it.
    Column("identity", String(300)),
    # The original's path under the media root, `ab/<sha256>/original.jpg` (the renditions
    # sit beside it); NULL when the item has no image.
    Column("path", String(96)),
    Column("sha256", String(64)),
    Column("width", Integer),
    Column("height", Integer),
    Column("original_bytes", Integer),
    Column("list_bytes", Integer),
    Column("detail_bytes", Integer),
    Column("fetched_at", UTCDateTime),
    # An identity whose bytes were refused (not an image, too large, truncated): not fetched
    # again until Zoho's identity changes; the item keeps the image in `path` meanwhile.
    Column("failed_identity", String(300)),
    Column("error", Text),
    Column("failed_at", UTCDateTime),
)
