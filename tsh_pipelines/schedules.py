"""Schedules: incremental every 15 minutes (configurable), a weekly full refresh."""

from __future__ import annotations

import os

import dagster as dg

from tsh_pipelines.assets.documents import MONTHLY
from tsh_pipelines.jobs import full_sync, incremental_sync

TIMEZONE = "Asia/Baghdad"


@dg.schedule(
    job=incremental_sync,
    cron_schedule=os.environ.get("ZOHO_INCREMENTAL_CRON", "*/15 * * * *"),
    execution_timezone=TIMEZONE,
    description="Pulls what changed since the watermarks; webhooks cover the seconds between.",
)
def incremental_sync_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(partition_key=MONTHLY.get_last_partition_key())


@dg.schedule(
    job=full_sync,
    cron_schedule=os.environ.get("ZOHO_FULL_REFRESH_CRON", "0 2 * * 5"),
    execution_timezone=TIMEZONE,
    description="Weekly (Friday 02:00 Baghdad) re-listing of everything, for delete detection.",
)
def weekly_full_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    keys = MONTHLY.get_partition_keys()
    return dg.RunRequest(
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        }
    )
