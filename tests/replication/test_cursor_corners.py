"""Cursors in the corners (issue 22): a full sync of some months, a daylight-saving
fall-back, and line items that change while the document's version stays.

Each test reproduces, against the sandbox over HTTP, a way the replica used to stay behind
Zoho for good; the sandbox's clock is moved by its control API, never waited for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import all_rows, live_rows, log
from tests.replication.moving import sync
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import zoho_sync_state
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.listing import fall_back_margin
from tsh_pipelines.sync.reconcile import LINE_ITEMS, reconcile_entity
from tsh_pipelines.sync.replicate import FULL_REFRESH, sync_entity
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.timefmt import parse_zoho_time
from zoho_sandbox.process import SandboxProcess

INVOICES = BY_NAME["invoices"]
LA = ZoneInfo("America/Los_Angeles")
# 2026-11-01 02:00 PDT: Los Angeles' clocks go back to 01:00 PST; 01:00-02:00 is lived twice.
FALL_BACK = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clocked(fresh_sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """The session sandbox, reset afterwards too: its clock and zone are the test's."""
    yield fresh_sandbox
    fresh_sandbox.reset()


def truth(sandbox: SandboxProcess) -> dict[str, dict]:
    return {r["invoice_id"]: r for r in sandbox.records("invoices")}


def state_row(engine: Engine) -> dict:
    with engine.connect() as conn:
        query = select(zoho_sync_state).where(zoho_sync_state.c.entity == "invoices")
        return dict(conn.execute(query).mappings().one())


def test_a_full_sync_of_some_months_moves_no_watermark(clocked: SandboxProcess, engine: Engine):
    """Case 1. A February invoice edited, two minutes later a May invoice edited, a full
    refresh of May alone, then an incremental: the watermark the May refresh used to set (its
    own newest, two minutes after the February edit) made the incremental skip February."""
    sync(clocked, engine, "invoices")
    before = state_row(engine)
    docs = truth(clocked)
    feb = next(i for i, r in docs.items() if r["date"].startswith("2026-02"))
    may = next(i for i, r in docs.items() if r["date"].startswith("2026-05"))
    clocked.mutate("invoices", "update", ids=[feb], fields={"total": 123456.0})
    clocked.clock(skew=120)  # two minutes later, on Zoho's clock
    clocked.mutate("invoices", "update", ids=[may])
    with ZohoClient(settings_for(clocked), engine) as client:
        may_only = {"date_start": date(2026, 5, 1), "date_end": date(2026, 5, 31)}
        ranged = sync_entity(client, engine, INVOICES, mode=FULL_REFRESH, log=log, **may_only)
    assert may in {r["zoho_id"] for r in all_rows(engine, "invoices")} and ranged.records > 0
    after_ranged = state_row(engine)
    incremental = sync(clocked, engine, "invoices")
    stored = live_rows(engine, "invoices", "total", "zoho_last_modified_time")
    assert stored[feb] == (
        Decimal("123456"),
        parse_zoho_time(truth(clocked)[feb]["last_modified_time"]),
    )
    assert incremental.records >= 2  # February and May, both edited since the watermark
    assert after_ranged == before  # neither the watermark nor "last full refresh" moved
    # a full sync of the whole entity moves it, and records the full refresh
    sync(clocked, engine, "invoices", mode=FULL_REFRESH)
    after = state_row(engine)
    assert after["last_full_refresh_at"] is not None and after["watermark"] >= before["watermark"]


def test_the_cursor_window_widens_by_the_repeated_hour_at_a_fall_back() -> None:
    """Case 11, the rule: a window (watermark - overlap .. now) that holds the fall-back lists
    from an hour earlier; one that does not, or holds a spring-forward, does not."""
    minute = timedelta(minutes=1)
    assert fall_back_margin(LA, FALL_BACK - 3 * minute, FALL_BACK + 30 * minute) == timedelta(
        hours=1
    )
    assert fall_back_margin(LA, FALL_BACK - 30 * minute, FALL_BACK) == timedelta(hours=1)
    assert fall_back_margin(LA, FALL_BACK + minute, FALL_BACK + 50 * minute) == timedelta(0)
    assert fall_back_margin(LA, FALL_BACK - 90 * minute, FALL_BACK - minute) == timedelta(0)
    spring = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 02:00 PST -> 03:00 PDT
    assert fall_back_margin(LA, spring - 10 * minute, spring + 10 * minute) == timedelta(0)
    # a week-old watermark over the fall-back still widens by the hour, not by the days
    assert fall_back_margin(
        LA, FALL_BACK - timedelta(days=6), FALL_BACK + timedelta(days=1)
    ) == timedelta(hours=1)
    # why: the cursor 01:58 PDT, the first time round, written as wall-clock time and read as
    # the second 01:58 (PST), is an hour later than meant; the widened one is not
    cursor = FALL_BACK - 2 * minute
    wall = cursor.astimezone(LA).replace(tzinfo=None)
    read_late = wall.replace(tzinfo=LA, fold=1)
    assert read_late - cursor == timedelta(hours=1)
    widened = cursor - fall_back_margin(LA, cursor, FALL_BACK + 30 * minute)
    assert widened.astimezone(LA).replace(tzinfo=None).replace(tzinfo=LA, fold=1) <= cursor


def line_items_of(engine: Engine, invoice_id: str) -> list[tuple[str, Decimal]]:
    rows = [r for r in all_rows(engine, "invoice_line_items") if r["invoice_zoho_id"] == invoice_id]
    return sorted((r["zoho_line_item_id"], Decimal(str(r["quantity"]))) for r in rows)


def zoho_line_items(sandbox: SandboxProcess, invoice_id: str) -> list[tuple[str, Decimal]]:
    lines = truth(sandbox)[invoice_id]["line_items"]
    return sorted((str(li["line_item_id"]), Decimal(str(li["quantity"]))) for li in lines)


@pytest.mark.parametrize("how", ["incremental", "full_refresh", "reconciliation"])
def test_line_items_changed_at_the_same_version_are_fetched_again(
    how: str, clocked: SandboxProcess, engine: Engine
) -> None:
    """Case 12. Zoho changes an invoice's line items without moving its last_modified_time
    (unconfirmed; the sandbox's `same_second` edit does it): the stored line items were read
    at that version, so nothing asked for them again. The listing carries the total, and a
    listed total other than the stored one at an equal version now fetches the detail: in the
    incremental that still lists it (the overlap), a full refresh, or the reconciliation."""
    sync(clocked, engine, "invoices")
    invoice = next(i for i, r in truth(clocked).items() if len(r["line_items"]) >= 2)
    clocked.mutate("invoices", "update", ids=[invoice])
    sync(clocked, engine, "invoices")  # the replica holds this version, line items and all
    version = truth(clocked)[invoice]["last_modified_time"]
    lines = [dict(li) for li in truth(clocked)[invoice]["line_items"][:-1]]  # one removed
    lines[0]["quantity"] = float(lines[0]["quantity"]) + 2
    total = round(sum(float(li["quantity"]) * float(li["rate"]) for li in lines), 2)
    clocked.mutate("invoices", "update", ids=[invoice], same_second=True,
                   fields={"line_items": lines, "total": total})  # fmt: skip
    assert truth(clocked)[invoice]["last_modified_time"] == version
    if how == "reconciliation":
        with ZohoClient(settings_for(clocked), engine) as client:
            drift = reconcile_entity(client, engine, INVOICES, repair=True, log=log)
        assert drift.found.get(LINE_ITEMS) == [invoice] and drift.unrepaired == 0
    else:
        totals = sync(clocked, engine, "invoices", mode=how)
        assert totals.details_fetched >= 1
    assert line_items_of(engine, invoice) == zoho_line_items(clocked, invoice)
    assert live_rows(engine, "invoices", "total")[invoice] == (Decimal(str(total)),)
    # the net costs nothing when nothing differs: a full refresh fetches no detail
    assert sync(clocked, engine, "invoices", mode=FULL_REFRESH).details_fetched == 0
