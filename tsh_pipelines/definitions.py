"""The one Definitions object of the code location: everything is listed here, explicitly."""

from __future__ import annotations

import dagster as dg

from tsh_pipelines.assets.catalog import CATALOG_ASSETS
from tsh_pipelines.assets.documents import DOCUMENT_ASSETS
from tsh_pipelines.jobs import full_sync, incremental_sync
from tsh_pipelines.realtime import (
    apply_webhook_events_job,
    queue_maintenance_job,
    queue_maintenance_schedule,
    webhook_queue_sensor,
)
from tsh_pipelines.resources import default_resources
from tsh_pipelines.schedules import incremental_sync_schedule, weekly_full_refresh_schedule

defs = dg.Definitions(
    assets=[*CATALOG_ASSETS, *DOCUMENT_ASSETS],
    jobs=[incremental_sync, full_sync, apply_webhook_events_job, queue_maintenance_job],
    schedules=[
        incremental_sync_schedule,
        weekly_full_refresh_schedule,
        queue_maintenance_schedule,
    ],
    sensors=[webhook_queue_sensor],
    resources=default_resources(),
)
