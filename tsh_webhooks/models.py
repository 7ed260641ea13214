"""Response models: they document the API in /docs and shape every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

QUEUE_STATUSES = ("pending", "processing", "completed", "failed", "dead_letter")


class ErrorMessage(BaseModel):
    detail: str = Field(description="What is wrong and how to fix it.")


class DeliveryResult(BaseModel):
    status: Literal["queued", "duplicate"] = Field(
        description="queued: stored now (202); duplicate: this exact delivery was stored "
        "before and nothing new was written (200)."
    )
    event_id: str = Field(description="The receiver's dedupe key for this delivery.")
    inbox_id: int | None = Field(description="The tds_inbox_events row.")
    queue_id: int | None = Field(description="The tds_sync_queue row that will apply it.")
    entity_type: str = Field(description="The registry entity, e.g. products.")
    entity_id: str = Field(description="The Zoho id of the record (text).")
    event: Literal["created", "edited", "deleted"]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class QueueCounts(BaseModel):
    pending: int = 0
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
