"""The ops queries behind /api/zoho/sync/*, the inbox stats and the investigation dashboard.

Each function takes a connection and returns a response model; the handbook's monitoring
SQL ("Monitoring Sync Health") is the reference for what each number means.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from tsh_db.schema import (
    data_investigation_reports,
    tds_inbox_events,
    tds_sync_queue,
    tds_sync_runs,
)
from tsh_db.types import utcnow
from tsh_webhooks.models import (
    FailureGroup,
    InboxStats,
    InvestigationDashboard,
    InvestigationReport,
    QueueCounts,
    SyncRun,
    SyncRuns,
    SyncStats,
)

WINDOW = timedelta(hours=24)
# Investigation reports are dated in Baghdad (the run is at 03:00 Asia/Baghdad). Iraq has
# kept UTC+3 without daylight saving since 2008, so a fixed offset needs no tz database.
BAGHDAD = timezone(timedelta(hours=3))
MAX_FAILURE_GROUPS = 20


def sync_stats(conn: Connection) -> SyncStats:
    q = tds_sync_queue.c
    by_entity: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    rows = conn.execute(
        select(q.entity_type, q.status, func.count()).group_by(q.entity_type, q.status)
    )
    for entity, status, n in rows:
        counts = by_entity.setdefault(entity, dict.fromkeys(QueueCounts.model_fields, 0))
        counts[status] = int(n)
        totals[status] = totals.get(status, 0) + int(n)
    known = {k: v for k, v in totals.items() if k in QueueCounts.model_fields}
    return SyncStats(
        queue=QueueCounts(**known),
        by_entity=dict(sorted(by_entity.items())),
        sync_delay_avg_seconds=_average_delay(conn),
        recent_failures=_recent_failures(conn),
    )


def _delay_seconds(conn: Connection) -> ColumnElement[Any]:
    """processing_completed_at - queued_at in seconds: the one dialect-specific expression."""
    done, queued = tds_sync_queue.c.processing_completed_at, tds_sync_queue.c.queued_at
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", done - queued)
    # SQLite stores the UTC timestamps as text; julianday() reads them as fractional days.
    return (func.julianday(done) - func.julianday(queued)) * 86400.0


def _average_delay(conn: Connection) -> float | None:
    q = tds_sync_queue.c
    avg = conn.execute(
        select(func.avg(_delay_seconds(conn))).where(
            q.status == "completed",
            q.processing_completed_at.is_not(None),
            q.processing_completed_at >= utcnow() - WINDOW,
        )
    ).scalar_one()
    return None if avg is None else round(float(avg), 3)


def _recent_failures(conn: Connection) -> list[FailureGroup]:
    q = tds_sync_queue.c
    n = func.count().label("n")
    rows = conn.execute(
        select(q.entity_type, q.error_message, n)
        .where(q.status == "failed", q.queued_at >= utcnow() - WINDOW)
        .group_by(q.entity_type, q.error_message)
        .order_by(n.desc(), q.entity_type)
        .limit(MAX_FAILURE_GROUPS)
    )
    return [FailureGroup(entity_type=e, error_message=m, count=int(c)) for e, m, c in rows]


def sync_runs(conn: Connection, limit: int, dagster_ui_url: str | None) -> SyncRuns:
    r = tds_sync_runs.c
    rows = conn.execute(
        select(tds_sync_runs).order_by(r.started_at.desc(), r.id.desc()).limit(limit)
    )
    runs = []
    for row in rows.mappings():
        run = SyncRun.model_validate(dict(row))
        if dagster_ui_url and run.dagster_run_id:
            run.dagster_run_url = f"{dagster_ui_url}/runs/{run.dagster_run_id}"
        runs.append(run)
    return SyncRuns(runs=runs)


def inbox_stats(conn: Connection) -> InboxStats:
    i = tds_inbox_events.c
    counts = {
        status: int(n)
        for status, n in conn.execute(
            select(i.status, func.count())
            .where(i.received_at >= utcnow() - WINDOW)
            .group_by(i.status)
        )
    }
    total, completed = sum(counts.values()), counts.get("completed", 0)
    return InboxStats(
        window_hours=int(WINDOW.total_seconds() // 3600),
        total=total,
        completed=completed,
        failed=counts.get("failed", 0),
        pending=counts.get("pending", 0),
        success_rate_percent=round(100.0 * completed / total, 2) if total else None,
    )


def baghdad_today() -> date:
    return utcnow().astimezone(BAGHDAD).date()


def investigation_dashboard(conn: Connection, days: int) -> InvestigationDashboard:
    d = data_investigation_reports.c
    since = baghdad_today() - timedelta(days=days)
    rows = conn.execute(
        select(d.report_date, d.status, d.report_data)
        .where(d.report_date >= since)
        .order_by(d.report_date.desc(), d.id.desc())
    ).all()
    statuses = [r.status for r in rows]
    return InvestigationDashboard(
        days=days,
        total_reports=len(rows),
        healthy_count=statuses.count("healthy"),
        warning_count=statuses.count("warning"),
        critical_count=statuses.count("critical"),
        reports=[
            InvestigationReport(date=r.report_date.isoformat(), status=r.status, data=r.report_data)
            for r in rows
        ],
    )
