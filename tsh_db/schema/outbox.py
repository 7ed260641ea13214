"""The orders outbox: orders and POS sales TSH's systems hand over for Zoho, exactly once.

TSH's systems insert a row in their own transaction (or `POST /api/tds/orders`, which inserts
the same row); the pipelines push it to Zoho (`tsh_pipelines.outbox`). The row is the truth
about the order's journey: which Zoho records it became, and whether a write may have reached
Zoho without our hearing the answer (`*_sent_at` set, id still empty: look it up before any
retry). Defaults let a plain SQL insert name only `kind`, `payload` and the customer columns.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint, func

from tsh_db.schema.base import metadata
from tsh_db.types import JSONType, Money, UTCDateTime

tds_outbox = Table(
    "tds_outbox",
    metadata,
    # Also Zoho's reference_number, as TDS-<id>: the key an ambiguous write is looked up by.
    Column("id", Integer, primary_key=True, autoincrement=True),
    # consumer_order (a Zoho sales order) | pos_sale (an invoice and its payment)
    Column("kind", String(16), nullable=False),
    # The sending system's own order id: a repeated POST of one order answers the same row.
    Column("external_id", String(64)),
    Column("payload", JSONType, nullable=False),
    Column("customer_email", String(254), index=True),
    Column("customer_phone", String(64)),
    Column("total_amount", Money),
    Column("currency", String(8)),
    # pending | processing | synced | failed | cancelled (tsh_pipelines.outbox.store)
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("deferrals", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("claimed_by", String(64)),
    Column("lease_expires_at", UTCDateTime),
    Column("customer_zoho_id", String(32)),
    Column("customer_sent_at", UTCDateTime),
    Column("zoho_document_type", String(16)),  # salesorder | invoice
    Column("zoho_document_id", String(32), index=True),
    Column("zoho_document_number", String(64)),
    Column("document_sent_at", UTCDateTime),
    Column("zoho_payment_id", String(32)),
    Column("payment_sent_at", UTCDateTime),
    Column("zoho_calls", Integer, nullable=False, server_default="0"),
    # Zoho's code and message (or ours, for an order that fails validation).
    Column("error_code", Integer),
    Column("error_message", Text),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime),
    Column("synced_at", UTCDateTime),
    # Set by the sender to cancel; voided_at once Zoho has voided what it already had.
    Column("cancelled_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
    UniqueConstraint("kind", "external_id"),
    Index("ix_tds_outbox_due", "status", "next_attempt_at"),
)
