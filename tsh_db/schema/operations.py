"""Operations: the webhook inbox and queue, sync runs and state, the shared OAuth token and
rate limits, and the investigation reports."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tsh_db.schema.base import metadata
from tsh_db.types import JSONType, UTCDateTime

tds_inbox_events = Table(
    "tds_inbox_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Zoho sends no event id: the receiver derives this dedupe key from the delivery.
    Column("event_id", String(64), nullable=False, unique=True),
    Column("source_type", String(16), nullable=False, server_default="zoho"),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(32), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("raw_payload", JSONType, nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("processed_at", UTCDateTime),
    Column("status", String(16), nullable=False, server_default="pending"),
    # The receiver's dedupe reads a record's latest delivery on every delivery
    Index("ix_tds_inbox_events_record", "entity_type", "entity_id", "id"),
)

tds_sync_queue = Table(
    "tds_sync_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inbox_event_id", Integer, ForeignKey("tds_inbox_events.id", ondelete="CASCADE")),
    Column("entity_type", String(32), nullable=False, index=True),
    Column("entity_id", String(32)),
    Column("zoho_entity_id", String(32), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("priority", Integer, nullable=False, server_default="5"),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("retry_count", Integer, nullable=False, server_default="0"),
    Column("error_message", Text),
    Column("claimed_by", String(128)),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_expires_at", UTCDateTime),
    Column("processing_started_at", UTCDateTime),
    Column("processing_completed_at", UTCDateTime),
    Index("ix_tds_sync_queue_due", "status", "next_attempt_at"),
)

tds_sync_runs = Table(
    "tds_sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_type", String(32), nullable=False),
    Column("entity_type", String(32), nullable=False, index=True),
    Column("source_type", String(16), nullable=False, server_default="zoho"),
    Column("status", String(16), nullable=False),
    Column("total_items", Integer, nullable=False, server_default="0"),
    Column("processed_items", Integer, nullable=False, server_default="0"),
    Column("failed_items", Integer, nullable=False, server_default="0"),
    Column("inserted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("soft_deleted", Integer, nullable=False, server_default="0"),
    Column("api_calls", Integer, nullable=False, server_default="0"),
    Column("started_at", UTCDateTime, nullable=False, index=True),
    Column("completed_at", UTCDateTime),
    Column("error_log", Text),
    Column("dagster_run_id", String(64)),
)

zoho_sync_state = Table(
    "zoho_sync_state",
    metadata,
    Column("entity", String(32), primary_key=True),
    # Advanced only after the rows that justify it are committed.
    Column("watermark", UTCDateTime),
    Column("last_full_refresh_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

zoho_oauth_tokens = Table(
    "zoho_oauth_tokens",
    metadata,
    # One row per OAuth client (a hash of client id and refresh token, never the secret itself).
    Column("client_key", String(64), primary_key=True),
    Column("access_token", Text),
    Column("api_domain", Text),
    Column("expires_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime),
    # Set while Zoho's token throttle holds: nobody asks for a token before it.
    Column("blocked_until", UTCDateTime),
    # Set when Zoho rejected the refresh token: nobody asks again with the same credentials.
    Column("fatal_error", Text),
)

zoho_token_refresh_log = Table(
    "zoho_token_refresh_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("refresh_type", String(20), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("error_message", Text),
    Column("token_expires_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime, nullable=False, index=True),
)

zoho_rate_limits = Table(
    "zoho_rate_limits",
    metadata,
    # One token bucket and one daily counter per API, shared by every process.
    Column("api", String(16), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("refilled_at", UTCDateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("day_calls", Integer, nullable=False, server_default="0"),
    # When Zoho resets the daily counter: its X-Rate-Limit-Reset, else the organisation's
    # next midnight. Zoho counts the organisation's day, not UTC's.
    Column("resets_at", UTCDateTime),
    # Zoho's clock less ours, from the Date header of its latest answer: every process
    # stamps tombstones on Zoho's clock, even one that has not called Zoho yet.
    Column("clock_skew_seconds", Float),
)

zoho_organizations = Table(
    "zoho_organizations",
    metadata,
    # Read once from GET /organizations/{id}: cursors are written in the organisation's
    # offset and its day bounds the daily budget.
    Column("organization_id", String(32), primary_key=True),
    Column("name", String(255)),
    Column("time_zone", String(64), nullable=False),
    Column("read_at", UTCDateTime, nullable=False),
)

zoho_api_slots = Table(
    "zoho_api_slots",
    metadata,
    # In-flight call slots per API. A slot is leased, not counted, so a process that dies
    # mid-call frees its slot when the lease runs out instead of leaking it forever.
    Column("api", String(16), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("lease_until", UTCDateTime),
    Column("holder", String(64)),
)

data_investigation_reports = Table(
    "data_investigation_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_date", Date, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("report_data", JSONType, nullable=False),
    Column("dagster_run_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

tds_stock_refresh = Table(
    "tds_stock_refresh",
    metadata,
    # Items whose stock a document change may have moved: written in the transaction of the
    # document write (webhook, listing or repair), so no move is lost; one row per item, so
    # refreshes coalesce. A row is due while requested_at is later than its last refresh.
    Column("item_zoho_id", String(32), primary_key=True),
    Column("requested_at", UTCDateTime, nullable=False, index=True),
    # The latest version (Zoho's clock) of a document that named the item: a stock read
    # well after it already shows the move, so the refresh can skip the item
    Column("moved_at", UTCDateTime),
    Column("reason", String(64)),
    Column("claim_id", String(32)),
    Column("claimed_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime),
)
