"""The consumer catalogue: exactly what the consumer API serves, one row per visible product.

Derived from `products`, `product_prices` and `price_lists` by the pipelines
(`tsh_pipelines.sync.catalog`), in the same transaction as the writes it derives from; the API
reads only these tables. `consumer_catalog_state` is a single row (id 1): the catalogue's
version (bumped by every transaction that changes a row, so a version names one content),
its total, and the rules it was built with.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from tsh_db.schema.base import metadata
from tsh_db.types import Money, UTCDateTime

consumer_catalog = Table(
    "consumer_catalog",
    metadata,
    Column("product_zoho_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("sku", String(128)),
    Column("category", String(128)),
    Column("image_url", Text),
    # The consumer price-list price, in IQD; never the base price.
    Column("price", Money, nullable=False),
    Column("stock", Money, nullable=False),
    # Zoho's created time, for "newest"; 1970-01-01 when Zoho gave none, so the sort key is
    # never NULL (keyset pagination compares it).
    Column("created_time", UTCDateTime, nullable=False),
    # tsh_db.search.search_text(name, sku): lowercase, accent- and tashkeel-free.
    Column("search_text", Text, nullable=False),
    Column("synced_at", UTCDateTime, nullable=False),
)
# One index per sort order, the key ending in the id that breaks ties (and keyset cursors).
Index("ix_consumer_catalog_name", consumer_catalog.c.name, consumer_catalog.c.product_zoho_id)
Index("ix_consumer_catalog_price", consumer_catalog.c.price, consumer_catalog.c.product_zoho_id)
Index(
    "ix_consumer_catalog_created",
    consumer_catalog.c.created_time,
    consumer_catalog.c.product_zoho_id,
)
Index(
    "ix_consumer_catalog_category",
    consumer_catalog.c.category,
    consumer_catalog.c.name,
    consumer_catalog.c.product_zoho_id,
)
# Substring search (LIKE '%term%') through pg_trgm. SQLite has no equivalent index: there
# the search scans this one narrow table (see README, Consumer API).
Index(
    "ix_consumer_catalog_search",
    consumer_catalog.c.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")

consumer_catalog_state = Table(
    "consumer_catalog_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    Column("total", Integer, nullable=False),
    # The rules and the price list the rows were derived with; when they no longer match
    # the configuration or the live consumer price list, the next refresh rebuilds.
    Column("pricelist_code", String(64), nullable=False),
    Column("min_stock", Integer, nullable=False),
    Column("price_list_zoho_id", String(32)),
    Column("currency_code", String(8)),
    # NULL until the first full build: the API answers 503 until then.
    Column("built_at", UTCDateTime),
    Column("changed_at", UTCDateTime, nullable=False),
)
