"""The one Definitions object of the code location: everything is listed here, explicitly."""

from __future__ import annotations

import dagster as dg

from tsh_pipelines.assets.catalog import CATALOG_ASSETS, CONSUMER_CATALOG
from tsh_pipelines.assets.documents import DOCUMENT_ASSETS
from tsh_pipelines.assets.images import IMAGE_ASSETS
from tsh_pipelines.checks import (
    daily_data_investigation,
    daily_data_investigation_schedule,
    data_investigation,
)
from tsh_pipelines.jobs import STEP_EXECUTOR, full_sync, incremental_sync
from tsh_pipelines.outbox.job import outbox_sensor, push_outbox_job
from tsh_pipelines.realtime import (
    apply_webhook_events_job,
    queue_maintenance_job,
    queue_maintenance_schedule,
    replay_dead_letters_job,
    webhook_queue_sensor,
)
from tsh_pipelines.resources import default_resources
from tsh_pipelines.schedules import incremental_sync_schedule, weekly_full_refresh_schedule
from tsh_pipelines.sensors import initial_sync_sensor
from tsh_pipelines.stock_reconciliation import stock_reconciliation, stock_reconciliation_schedule
from tsh_pipelines.stock_refresh import refresh_stock_job, stock_refresh_sensor
from tsh_pipelines.webhook_worker import webhook_worker_job, webhook_worker_sensor

defs = dg.Definitions(
    assets=[*CATALOG_ASSETS, *DOCUMENT_ASSETS, *IMAGE_ASSETS, CONSUMER_CATALOG],
    asset_checks=[data_investigation],
    jobs=[
        incremental_sync,
        full_sync,
        apply_webhook_events_job,
        queue_maintenance_job,
        replay_dead_letters_job,
        daily_data_investigation,
        stock_reconciliation,
        refresh_stock_job,
        webhook_worker_job,
        push_outbox_job,
    ],
    schedules=[
        incremental_sync_schedule,
        weekly_full_refresh_schedule,
        queue_maintenance_schedule,
        daily_data_investigation_schedule,
        stock_reconciliation_schedule,
    ],
    sensors=[
        webhook_queue_sensor,
        webhook_worker_sensor,
        initial_sync_sensor,
        stock_refresh_sensor,
        outbox_sensor,
    ],
    resources=default_resources(),
    executor=STEP_EXECUTOR,
)
