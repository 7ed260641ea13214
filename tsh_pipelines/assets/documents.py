"""Documents (invoices, bills, credit notes, sales orders), partitioned by document month.
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

`BackfillPolicy.single_run()` makes a backfill of any range one run, and the run makes one
listing with `date_start`/`date_end` for the whole range. The incremental job lists by
`last_modified_time` across all months instead, and records a materialization on every older
month it touched, so the UI shows which partitions a payment on an old invoice changed.
"""

import os
from datetime import timedelta

import dagster as dg

from tsh_pipelines.assets.common import (
    ZOHO_POOL,
    SyncConfig,
    metadata,
    resolve_mode,
    run_sync,
)
from tsh_pipelines.entities import ENTITIES, Entity
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.replicate import INCREMENTAL, sync_entity

HISTORY_START = os.environ.get("ZOHO_HISTORY_START", "2025-01-01")
MONTHLY = dg.MonthlyPartitionsDefinition(
    start_date=HISTORY_START, end_offset=1, timezone="Asia/Baghdad"
)


def _specs(entity: Entity) -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            entity.name,
            description=entity.description,
            group_name=entity.group,
            kinds={"zoho", "sql"},
        )  # fmt: skip
    ]
    if entity.line_items_table:
        specs.append(
            dg.AssetSpec(
                entity.line_items_table, group_name=entity.group, kinds={"zoho", "sql"},
                description=f"Line items of {entity.name}, from the detail endpoint, fetched "
                "only for documents new or changed since they were stored.",
            )
        )  # fmt: skip
    return specs


def document_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{entity.name}_sync",
        specs=_specs(entity),
        partitions_def=MONTHLY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=ZOHO_POOL,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ):  # type: ignore[no-untyped-def]
        mode = resolve_mode(context, config)
        window = context.partition_time_window
        start, end = window.start.date(), (window.end - timedelta(days=1)).date()
        if mode == INCREMENTAL:
            start = end = None  # by last_modified_time, across every month
        engine = database.engine()
        totals, stats = run_sync(
            context, zoho, database, entity.name, mode,
            lambda client: sync_entity(
                client, engine, entity, mode=mode, date_start=start, date_end=end,
                log=context.log,
            ),
        )  # fmt: skip
        touched = sorted(totals.touched_partitions)
        if mode == INCREMENTAL:
            _mark_touched(context, entity, touched)
        meta = {**metadata(totals, stats), "partitions_touched": touched}
        yield dg.MaterializeResult(asset_key=entity.name, metadata=meta)
        if entity.line_items_table:
            yield dg.MaterializeResult(
                asset_key=entity.line_items_table,
                metadata={
                    "documents_detailed": totals.details_fetched,
                    "line_items_written": totals.line_items,
                },
            )

    return _asset


def _mark_touched(context: dg.AssetExecutionContext, entity: Entity, months: list[str]) -> None:
    """A materialization event on each older month the incremental run changed."""
    own = set(context.partition_keys)
    valid = set(MONTHLY.get_partition_keys())
    for month in months:
        if month in own:
            continue
        if month not in valid:
            context.log.warning("%s: month %s is before ZOHO_HISTORY_START", entity.name, month)
            continue
        context.log_event(
            dg.AssetMaterialization(
                asset_key=entity.name,
                partition=month,
                description="Documents dated in this month changed in Zoho and were updated "
                "by the incremental sync.",
                metadata={"dagster_run_id": context.run.run_id},
            )
        )


DOCUMENT_ASSETS = [document_asset(e) for e in ENTITIES if e.partitioned]
