"""Response models: they document the API in /docs and shape every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorMessage(BaseModel):
    detail: str = Field(description="What is wrong and how to fix it.")


class DeliveryResult(BaseModel):
    status: Literal["queued", "duplicate", "coalesced"] = Field(
        description="queued: stored now (202). duplicate: the record's latest delivery "
        "carried the same route, event, last_modified_time and bytes (a repeat); nothing new "
        "was written (200). The same bytes after another delivery of the record are a change "
        "(A -> B -> A) and are queued. coalesced: an id-only delivery (no "
        "last_modified_time) joined an event of the same record that is still pending and "
        "will fetch the record from Zoho; nothing new was written (200)."
    )
    event_id: str = Field(
        description="The inbox event holding this delivery: a digest of route, id, event, "
        "last_modified_time and body, chained to the record's previous delivery; for an "
        "id-only delivery a unique id starting `id-only:`."
    )
    inbox_id: int | None = Field(description="The tds_inbox_events row.")
    queue_id: int | None = Field(description="The tds_sync_queue row that will apply it.")
    entity_type: str = Field(description="The registry entity, e.g. products.")
    entity_id: str = Field(description="The Zoho id of the record (text).")
    event: Literal["created", "edited", "deleted"]


class Rejection(BaseModel):
    at: datetime = Field(description="When it was refused (UTC).")
    method: str
    route: str = Field(description="The path segment after /api/zoho/webhooks/, as sent.")
    status: int = Field(description="The HTTP status answered.")
    outcome: str = Field(description="The metrics label: unauthorized, invalid, too_large...")
    reason: str = Field(description="What was wrong and what to change; never body content.")
    signature: str | None = Field(
        description="How X-Zoho-Webhook-Signature was written: hex, base64, missing or "
        "unreadable; null when refused before the signature was read."
    )
    signature_variants_tried: list[str] = Field(
        description="The signed strings compared: the Zoho scheme (sorted query parameters and "
        "form fields, then the JSON body) and, when no acted-on parameter is sent, the raw body."
    )
    content_type: str | None
    body_bytes: int | None = Field(description="Bytes read; null when refused before reading.")
    body_type: str | None = Field(description="json, jsonstring or fields, once known.")
    query_parameters: list[str] = Field(description="The query parameter names (no values).")


class Rejections(BaseModel):
    kept: int = Field(description="How many refusals this receiver process keeps in memory.")
    rejections: list[Rejection] = Field(description="Newest first.")


class ReplayRequest(BaseModel):
    """Exactly one selector."""

    ids: list[int] | None = Field(
        default=None, max_length=1000, description="tds_sync_queue ids of dead letters."
    )
    entity: str | None = Field(default=None, description="Every dead letter of this entity.")
    all: bool = Field(default=False, description="Every dead letter.")

    model_config = {"json_schema_extra": {"examples": [{"ids": [17, 18]}, {"entity": "products"}]}}


class ReplayResult(BaseModel):
    replayed: int = Field(
        description="Dead-letter rows put back to pending, due now, with fresh attempts."
    )


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class QueueCounts(BaseModel):
    pending: int = 0
    claimed: int = Field(default=0, description="Reserved for a run that has not started them.")
    processing: int = 0
    completed: int = 0
    failed: int = 0
    dead_letter: int = 0


class FailureGroup(BaseModel):
    entity_type: str
    error_message: str | None
    count: int


class SyncStats(BaseModel):
    queue: QueueCounts = Field(description="Queue rows by status, all time.")
    by_entity: dict[str, dict[str, int]] = Field(
        description="Queue rows by entity and status, e.g. {'products': {'pending': 20, ...}}."
    )
    sync_delay_avg_seconds: float | None = Field(
        description="Mean of processing_completed_at - queued_at over rows completed in the "
        "last 24 hours; null when none completed."
    )
    recent_failures: list[FailureGroup] = Field(
        description="Failed rows queued in the last 24 hours, grouped by entity and error."
    )


class SyncRun(BaseModel):
    id: int
    run_type: str
    entity_type: str
    source_type: str
    status: str
    total_items: int
    processed_items: int
    failed_items: int
    inserted: int
    updated: int
    unchanged: int
    soft_deleted: int
    api_calls: int
    started_at: datetime
    completed_at: datetime | None
    error_log: str | None
    dagster_run_id: str | None
    dagster_run_url: str | None = Field(
        default=None, description="Link to the run in the Dagster UI when DAGSTER_UI_URL is set."
    )


class SyncRuns(BaseModel):
    runs: list[SyncRun] = Field(description="Newest first.")


class InboxStats(BaseModel):
    window_hours: int = Field(description="The window: events received in the last N hours.")
    total: int
    completed: int
    failed: int
    pending: int
    success_rate_percent: float | None = Field(
        description="100 * completed / total, two decimals; null when nothing was received."
    )


class InvestigationReport(BaseModel):
    date: str = Field(description="The report date, YYYY-MM-DD.")
    status: str = Field(description="healthy, warning or critical.")
    data: Any = Field(description="The report as the daily investigation wrote it.")


class InvestigationDashboard(BaseModel):
    days: int
    total_reports: int
    healthy_count: int
    warning_count: int
    critical_count: int
    reports: list[InvestigationReport] = Field(description="Newest first.")
