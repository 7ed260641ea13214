"""Watermarks (`zoho_sync_state`) and the audit trail of syncs (`tds_sync_runs`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from tsh_db.dialect import UpsertResult, upsert
from tsh_db.schema import tds_sync_runs, zoho_sync_state
from tsh_db.types import utcnow


def get_watermark(engine: Engine, entity: str) -> datetime | None:
    with engine.connect() as conn:
        return conn.scalar(
            select(zoho_sync_state.c.watermark).where(zoho_sync_state.c.entity == entity)
        )


def listed_at(engine: Engine, entity: str) -> datetime | None:
    """When the entity's last whole listing ended (its watermark was last set)."""
    with engine.connect() as conn:
        return conn.scalar(
            select(zoho_sync_state.c.updated_at).where(zoho_sync_state.c.entity == entity)
        )


def set_watermark(engine: Engine, entity: str, watermark: datetime | None, full: bool) -> None:
    """Called only after the rows that justify `watermark` are committed."""
    row: dict[str, Any] = {"entity": entity, "updated_at": utcnow()}
    if watermark is not None:
        row["watermark"] = watermark
    if full:
        row["last_full_refresh_at"] = utcnow()
    with engine.begin() as conn:
        upsert(conn, zoho_sync_state, [row], ["entity"], ignore_for_change=())


@dataclass
class SyncTotals:
    """What one sync did, for metadata, logs and `tds_sync_runs`."""

    entity: str
    mode: str
    counts: UpsertResult = field(default_factory=UpsertResult)
    soft_deleted: int = 0
    records: int = 0
    pages: int = 0
    details_fetched: int = 0
    line_items: int = 0
    watermark: datetime | None = None
    touched_partitions: set[str] = field(default_factory=set)
    preview: list[dict] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "records_listed": self.records,
            "rows_inserted": self.counts.inserted,
            "rows_updated": self.counts.updated,
            "rows_unchanged": self.counts.unchanged,
            "rows_soft_deleted": self.soft_deleted,
            "pages": self.pages,
            "details_fetched": self.details_fetched,
            "line_items_written": self.line_items,
            "watermark": self.watermark.isoformat() if self.watermark else "none",
            **self.extra,
        }


# Why a Dagster run is over ("ended with FAILURE", "is unknown to the Dagster instance"), or
# None while it lives. A callable, so that this module needs no Dagster import.
RunEnded = Callable[[str], str | None]


def start_run(
    engine: Engine,
    entity: str,
    run_type: str,
    dagster_run_id: str | None,
    run_ended: RunEnded | None = None,
) -> int:
    """Record a sync as running. With `run_ended`, first mark as abandoned the entity's rows
    left `running` by Dagster runs that are over: a killed process never calls finish_run."""
    if run_ended is not None:
        abandon_dead_runs(engine, entity, run_ended)
    with engine.begin() as conn:
        return conn.execute(
            insert(tds_sync_runs)
            .values(
                run_type=run_type, entity_type=entity, status="running", started_at=utcnow(),
                dagster_run_id=dagster_run_id,
            )
            .returning(tds_sync_runs.c.id)
        ).scalar_one()  # fmt: skip


def abandon_dead_runs(engine: Engine, entity: str, run_ended: RunEnded) -> int:
    """Mark `abandoned` the entity's `running` rows whose Dagster run is over; how many."""
    t = tds_sync_runs
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.dagster_run_id).where(
                t.c.entity_type == entity, t.c.status == "running", t.c.dagster_run_id.isnot(None)
            )
        ).all()
    # Dagster is asked outside any transaction: on SQLite a write transaction locks the file.
    ended_by_row = {row.id: (row.dagster_run_id, run_ended(row.dagster_run_id)) for row in rows}
    dead = {k: v for k, v in ended_by_row.items() if v[1] is not None}
    if not dead:
        return 0
    abandoned = 0
    with engine.begin() as conn:
        for row_id, (dagster_run_id, ended) in dead.items():
            error = f"abandoned: the sync never finished; Dagster run {dagster_run_id} {ended}"
            # Still `running` only: a row finished meanwhile keeps what its run recorded.
            abandoned += conn.execute(
                update(t)
                .where(t.c.id == row_id, t.c.status == "running")
                .values(status="abandoned", completed_at=utcnow(), error_log=error)
            ).rowcount
    return abandoned


def finish_run(
    engine: Engine, run_id: int, totals: SyncTotals, api_calls: int, error: str | None = None
) -> None:
    c = totals.counts
    with engine.begin() as conn:
        conn.execute(
            update(tds_sync_runs)
            .where(tds_sync_runs.c.id == run_id)
            .values(
                status="failed" if error else "completed", total_items=totals.records,
                processed_items=c.inserted + c.updated + c.unchanged,
                failed_items=totals.records - (c.inserted + c.updated + c.unchanged)
                if error else 0,
                inserted=c.inserted, updated=c.updated, unchanged=c.unchanged,
                soft_deleted=totals.soft_deleted, api_calls=api_calls,
                completed_at=utcnow(), error_log=error,
            )
        )  # fmt: skip
