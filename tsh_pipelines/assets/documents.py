"""Documents (invoices, bills, credit notes, sales orders), partitioned by document month,
and their line items, downstream of them.

Documents and line items are one subsettable multi-asset per entity, because they share a
listing: either can be materialized or backfilled alone, or both together.
- documents alone: the listing only, 200 documents a call;
- line items alone: the detail call for each stored document whose line items are older
  than the document (`line_items.py`), no listing;
- both: the listing fetches the details of new or changed documents as it goes, then
  catches up any document left stale.

`BackfillPolicy.single_run()` makes a backfill of any range one run with one listing for the
whole range. A run with no partition (`dagster job execute -j incremental_sync`, a schedule)
covers every month: the incremental sync lists by `last_modified_time`, the full sync from
`ZOHO_HISTORY_START`, and each month it changed gets a materialization of its own.
"""
# No `from __future__ import annotations`: Dagster reads the Config and resource types.

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import dagster as dg
from sqlalchemy.engine import Engine

from tsh_pipelines.assets.common import (
    POOLS,
    SyncConfig,
    listing_progress,
    metadata,
    resolve_mode,
    run_sync,
)
from tsh_pipelines.entities import BY_NAME, ENTITIES, Entity
from tsh_pipelines.line_items import refresh_line_items
from tsh_pipelines.resources import DatabaseResource, ZohoResource
from tsh_pipelines.sync.progress import Progress
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL, list_params, sync_entity
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import ZohoClient

HISTORY_START = os.environ.get("ZOHO_HISTORY_START", "2025-01-01")
MONTHLY = dg.MonthlyPartitionsDefinition(
    start_date=HISTORY_START, end_offset=1, timezone="Asia/Baghdad"
)
KINDS = {"zoho", "sql"}


@dataclass(frozen=True)
class Scope:
    """What one run of a document asset covers."""

    mode: str
    partitioned: bool  # the run has a partition or a range (else: every month)
    start: date | None
    end: date | None

    @classmethod
    def of(cls, context: dg.AssetExecutionContext, config: SyncConfig) -> "Scope":
        mode = resolve_mode(context, config)
        partitioned = context.has_partition_key or context.has_partition_key_range
        if mode == INCREMENTAL or not partitioned:
            # By last_modified_time across every month; a full refresh from the history start.
            first = date.fromisoformat(HISTORY_START) if mode == FULL_REFRESH else None
            return cls(mode, partitioned, first, None)
        window = context.partition_time_window
        return cls(mode, True, window.start.date(), (window.end - timedelta(days=1)).date())


@dataclass
class Outcome:
    documents: SyncTotals | None = None
    items: SyncTotals | None = None
    listing: Progress | None = None
    details: Progress | None = None


def lineage(names: tuple[str, ...]) -> list[str]:
    """What a document's lineage can name: the unpartitioned assets it points at. A run with
    no partition reports a document asset's months, not the asset, so Dagster would skip a
    step that depends on another document (payments on invoices) in the same run."""
    return [n for n in names if not BY_NAME[n].partitioned]


def _specs(entity: Entity) -> list[dg.AssetSpec]:
    # Skippable: a run with no partition reports each month it changed as its own event.
    specs = [
        dg.AssetSpec(entity.name, deps=lineage(entity.refers_to),
                     description=entity.description, group_name=entity.group, kinds=KINDS,
                     skippable=True)
    ]  # fmt: skip
    for child in entity.children:
        specs.append(
            dg.AssetSpec(
                child.table, deps=[entity.name, *lineage(child.refers_to)], group_name=entity.group,
                kinds=KINDS, skippable=True,
                description=f"Of {entity.name}: from Zoho's detail endpoint (a call per "
                "document), fetched only for documents whose rows are older than the document.",
            )
        )  # fmt: skip
    return specs


def sync_documents(
    client: ZohoClient, engine: Engine, entity: Entity, scope: Scope, keys: set[str], log: Any
) -> Outcome:
    """The listing and/or the detail calls the selected keys need."""
    out = Outcome()
    details = any(child.table in keys for child in entity.children)
    if entity.name in keys:
        # Without its line items in the selection the listing makes no detail calls.
        listed = entity if details else replace(entity, children=())
        params = list_params(engine, entity, scope.mode, scope.start, scope.end)
        out.listing = listing_progress(log, client, entity, params)
        out.documents = sync_entity(client, engine, listed, mode=scope.mode,
                                    date_start=scope.start, date_end=scope.end,
                                    log=out.listing)  # fmt: skip
    if details:
        out.details = Progress(log, unit="documents")
        out.items = refresh_line_items(client, engine, entity, scope.mode,
                                       date_start=scope.start, date_end=scope.end,
                                       log=out.details)  # fmt: skip
    return out


def document_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{entity.name}_sync",
        specs=_specs(entity),
        partitions_def=MONTHLY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOLS[entity.api],
        can_subset=True,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        zoho: ZohoResource,
        database: DatabaseResource,
    ):  # type: ignore[no-untyped-def]
        scope = Scope.of(context, config)
        keys = {key.to_user_string() for key in context.selected_asset_keys}
        audited = entity.name if entity.name in keys else str(entity.line_items_table)
        engine = database.engine()

        def sync(client: ZohoClient) -> tuple[SyncTotals, Outcome]:
            out = sync_documents(client, engine, entity, scope, keys, context.log)
            return _audit_totals(audited, scope.mode, out), out

        (_, out), stats = run_sync(context, zoho, database, audited, scope.mode, sync)
        yield from _report(context, entity, scope, out, stats)

    return _asset


def _audit_totals(name: str, mode: str, out: Outcome) -> SyncTotals:
    """The `tds_sync_runs` row's figures: the listing's, with the catch-up's detail calls."""
    main = out.documents or out.items or SyncTotals(name, mode)
    if out.documents is not None and out.items is not None:
        main.details_fetched += out.items.details_fetched
        main.line_items += out.items.line_items
    return main


def _items_metadata(entity: Entity, out: Outcome, stats: Any) -> dict[str, Any]:
    listed, caught_up = out.documents, out.items
    meta: dict[str, Any] = {
        "documents_detailed": (listed.details_fetched if listed else 0)
        + (caught_up.details_fetched if caught_up else 0),
        "line_items_written": (listed.line_items if listed else 0)
        + (caught_up.line_items if caught_up else 0),
        "documents_gone": caught_up.soft_deleted if caught_up else 0,
    }
    if out.documents is None:
        meta.update(stats.as_metadata())  # the calls are the detail calls alone
    if out.details is not None:
        meta.update(out.details.as_metadata())
    return meta


def _report(
    context: dg.AssetExecutionContext, entity: Entity, scope: Scope, out: Outcome, stats: Any
) -> Iterator[dg.MaterializeResult]:
    results: dict[str, tuple[dict[str, Any], list[str]]] = {}
    if out.documents is not None:
        touched = sorted(out.documents.touched_partitions)
        meta = {**metadata(out.documents, stats, out.listing), "partitions_touched": touched}
        results[entity.name] = (meta, touched)
    if out.items is not None:
        months = set(out.items.touched_partitions)
        if out.documents is not None:  # the listing brought the line items of what it listed
            months |= out.documents.touched_partitions
        for child in entity.children:
            results[child.table] = (_items_metadata(entity, out, stats), sorted(months))
    for key, (meta, months) in results.items():
        if scope.partitioned:
            yield dg.MaterializeResult(asset_key=key, metadata=meta)
            if scope.mode == INCREMENTAL:
                _mark_months(context, key, months, set(context.partition_keys))
        else:
            # The figures on one observation; each month it changed gets a materialization.
            context.log_event(dg.AssetObservation(asset_key=key, metadata=meta))
            _mark_months(context, key, months, set())


def _mark_months(
    context: dg.AssetExecutionContext, key: str, months: list[str], own: set[str]
) -> None:
    """A materialization event on each month the run changed outside its own partitions."""
    valid = set(MONTHLY.get_partition_keys())
    for month in months:
        if month in own:
            continue
        if month not in valid:
            context.log.warning("%s: month %s is before ZOHO_HISTORY_START", key, month)
            continue
        context.log_event(
            dg.AssetMaterialization(
                asset_key=key,
                partition=month,
                description="Changed in Zoho and updated by this sync (documents dated in "
                "this month, or their line items).",
                metadata={"dagster_run_id": context.run.run_id},
            )
        )


DOCUMENT_ASSETS = [document_asset(e) for e in ENTITIES if e.partitioned]
