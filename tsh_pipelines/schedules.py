"""Schedules: incremental every 15 minutes (configurable), a weekly full refresh.

Both are stopped until turned on (Automation in the UI, or `dagster schedule start`): webhooks
keep the replica current, and a deployment decides when it starts spending Zoho calls. Their
runs take no partition: each covers every month and marks each month it changed.
"""

from __future__ import annotations

import os

import dagster as dg

from tsh_pipelines.jobs import full_sync, incremental_sync

TIMEZONE = "Asia/Baghdad"

incremental_sync_schedule = dg.ScheduleDefinition(
    name="incremental_sync_schedule",
    job=incremental_sync,
    cron_schedule=os.environ.get("ZOHO_INCREMENTAL_CRON", "*/15 * * * *"),
    execution_timezone=TIMEZONE,
    description="Pulls what changed since the watermarks; webhooks cover the minutes between.",
)

weekly_full_refresh_schedule = dg.ScheduleDefinition(
    name="weekly_full_refresh_schedule",
    job=full_sync,
    cron_schedule=os.environ.get("ZOHO_FULL_REFRESH_CRON", "0 2 * * 5"),
    execution_timezone=TIMEZONE,
    description="Weekly (Friday 02:00 Baghdad) re-listing of everything, for delete detection.",
)
