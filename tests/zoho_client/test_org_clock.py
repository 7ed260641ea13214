"""The organisation's clock: its zone read once, cursors in its offset, the budget's day in
its calendar, and Zoho's Retry-After and X-Rate-Limit-Reset honoured.

The sandbox here is an organisation in Los Angeles (-0800/-0700, far from Baghdad's +0300)
that reads a filter's wall-clock time in its own zone whatever offset it carries, the way
connector users report Zoho doing: a cursor in the wrong offset gets the wrong window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tsh_db.schema import invoices, zoho_organizations, zoho_rate_limits
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.replicate import sync_entity
from tsh_pipelines.sync.state import get_watermark
from tsh_pipelines.zoho import BOOKS, ZohoClient, ZohoDailyLimitError, ZohoSettings
from tsh_pipelines.zoho.limits import SYNC, SharedRateLimiter
from tsh_pipelines.zoho.organization import next_midnight
from tsh_pipelines.zoho.timefmt import format_zoho_time, parse_zoho_time
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

LA = ZoneInfo("America/Los_Angeles")
BAGHDAD = ZoneInfo("Asia/Baghdad")
SMALL = {"items": 20, "customers": 10, "vendors": 2, "invoices": 40, "bills": 5,
         "creditnotes": 2, "salesorders": 2}  # fmt: skip


@pytest.fixture(scope="module")
def la() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        seed=5, time_zone="America/Los_Angeles", filter_offset="ignored", **SMALL
    ) as sb:
        yield sb


def organisation_calls(client: ZohoClient) -> int:
    return sum(n for (_api, ep, _o), n in client.stats.calls.items() if "organizations" in ep)


def test_the_zone_is_asked_of_zoho_once_then_read_from_the_database(
    la: SandboxProcess, engine: Engine
) -> None:
    with ZohoClient(settings_for(la), engine) as first:
        assert first.zone == LA
        assert first.limiter.zone == LA
    with ZohoClient(settings_for(la), engine) as second:
        assert second.zone == LA
    assert organisation_calls(first) == 1 and organisation_calls(second) == 0
    with engine.connect() as conn:
        assert conn.scalar(select(zoho_organizations.c.time_zone)) == "America/Los_Angeles"
    with ZohoClient(settings_for(la, time_zone="Asia/Baghdad"), engine) as configured:
        assert configured.zone == BAGHDAD  # ZOHO_TIME_ZONE wins, no call


def test_a_cursor_is_written_in_the_organisations_offset(
    la: SandboxProcess, engine: Engine
) -> None:
    la.reset()
    before = datetime.now(UTC) - timedelta(seconds=2)
    changed = {str(r["id"]) for r in la.mutate("invoices", "update", count=3)["records"]}
    with ZohoClient(settings_for(la), engine) as client:

        def listed(since: object) -> set[str]:
            params = {"last_modified_time": since}
            pages = client.pages(BOOKS, "invoices", "invoices", "invoice_id", params)
            return {str(r["invoice_id"]) for page in pages for r in page}

        assert listed(before) == changed  # a datetime: the client writes it in -0800/-0700
        # the same instant in Baghdad's offset reads, in Los Angeles, as 11 hours from now
        assert listed(format_zoho_time(before, BAGHDAD)) == set()


def test_the_budget_day_ends_when_zoho_says(la: SandboxProcess, engine: Engine) -> None:
    with ZohoClient(settings_for(la), engine) as client:
        client.get(BOOKS, "contacts")
    with engine.connect() as conn:
        row = conn.execute(select(zoho_rate_limits).where(zoho_rate_limits.c.api == BOOKS)).one()
    # X-Rate-Limit-Reset counts to the organisation's midnight, not UTC's
    assert abs((row.resets_at - next_midnight(utcnow(), LA)).total_seconds()) < 5
    assert row.day == utcnow().astimezone(LA).date()


def test_without_the_header_the_day_is_the_organisations(db_url: str, engine: Engine) -> None:
    settings = ZohoSettings(**DEMO_CREDENTIALS, books_rpm=1000)  # the limiter alone: no HTTP
    limiter = SharedRateLimiter(settings, engine, SYNC, "test")
    limiter.zone = LA
    limiter.release(limiter.acquire(BOOKS))
    with engine.connect() as conn:
        row = conn.execute(select(zoho_rate_limits)).one()
    assert row.resets_at == next_midnight(utcnow(), LA) and row.day_calls == 1
    # a reset that has passed starts a new day at the organisation's next midnight
    past = utcnow() - timedelta(seconds=1)
    with engine.begin() as conn:
        conn.execute(update(zoho_rate_limits).values(resets_at=past, day_calls=900,
                                                     day=date(2020, 1, 1)))  # fmt: skip
    assert limiter.remaining_today(BOOKS) == limiter.allowed_today(BOOKS)
    limiter.release(limiter.acquire(BOOKS))
    with engine.connect() as conn:
        row = conn.execute(select(zoho_rate_limits)).one()
    assert row.day_calls == 1 and row.resets_at > utcnow()


def test_zohos_new_day_replaces_our_count_and_the_same_day_only_raises_it(
    db_url: str, engine: Engine
) -> None:
    settings = ZohoSettings(**DEMO_CREDENTIALS, books_rpm=1000)
    limiter = SharedRateLimiter(settings, engine, SYNC, "test")
    limiter.release(limiter.acquire(BOOKS))
    soon = utcnow() + timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(update(zoho_rate_limits).values(resets_at=soon, day_calls=500))
    # Zoho's count is higher on the same day (other apps): ours follows it up
    limiter.release(limiter.acquire(BOOKS), used_today=700, resets_in=2 * 3600)
    with engine.connect() as conn:
        assert conn.scalar(select(zoho_rate_limits.c.day_calls)) == 700
    # Zoho's day reset before ours: a reset a day away and a small count replace ours
    limiter.release(limiter.acquire(BOOKS), used_today=3, resets_in=23 * 3600)
    with engine.connect() as conn:
        row = conn.execute(select(zoho_rate_limits)).one()
    assert row.day_calls == 3
    assert abs((row.resets_at - (utcnow() + timedelta(hours=23))).total_seconds()) < 5


@pytest.mark.parametrize("retry_after", ["on", "off"])
def test_a_429_waits_what_retry_after_says(
    retry_after: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float | None] = []  # what Zoho's header asked for, None: no header
    real_wait = ZohoClient._wait

    def wait(self: ZohoClient, api: str, reason: str, attempt: int, after: float | None) -> None:
        waits.append(after)
        real_wait(self, api, reason, attempt, after)

    monkeypatch.setattr(ZohoClient, "_wait", wait)
    with SandboxProcess(seed=5, books_rpm=3, rate_window=2.0, retry_after=retry_after,
                        **SMALL) as sb:  # fmt: skip
        # told a far higher limit than the sandbox's, the client meets Zoho's 429s
        settings = settings_for(sb, books_rpm=1000, rate_window_seconds=2.0, time_zone="UTC")
        with ZohoClient(settings, engine) as client:
            for _ in range(5):
                client.get(BOOKS, "contacts")
    assert client.stats.retries["rate_limited"] >= 1
    if retry_after == "on":
        # whole seconds, as the header gives them, and never more than the window
        assert waits and all(w is not None and w == int(w) and 1 <= w <= 2 for w in waits)
    else:
        assert waits and all(w is None for w in waits)  # the jittered backoff instead


def test_the_daily_limit_error_says_when_zoho_resets(engine: Engine) -> None:
    zone = "America/Los_Angeles"
    with (
        SandboxProcess(seed=5, daily_limit=2, time_zone=zone, **SMALL) as sb,
        ZohoClient(settings_for(sb, time_zone=zone), engine) as client,
    ):
        client.get(BOOKS, "contacts")
        client.get(BOOKS, "contacts")
        with pytest.raises(ZohoDailyLimitError) as err:
            client.get(BOOKS, "contacts")
    assert err.value.resets_at is not None
    assert abs((err.value.resets_at - next_midnight(utcnow(), LA)).total_seconds()) < 5


def age_the_cached_zone(engine: Engine, by: timedelta = timedelta(days=1, minutes=1)) -> None:
    """As if the zone had been read `by` ago: our own clock is not moved."""
    t = zoho_organizations
    with engine.begin() as conn:
        read_at = conn.scalar(select(t.c.read_at))
        conn.execute(update(t).values(read_at=read_at - by))


def test_the_zone_is_read_again_once_a_day(la: SandboxProcess, engine: Engine) -> None:
    """Case 8, the schedule: a zone cached less than a day ago costs no call, an older one
    one call (on entering the client, before any run reads a cursor), and the setting none."""
    la.reset()
    with ZohoClient(settings_for(la), engine) as first:
        assert first.zone == LA
    age_the_cached_zone(engine)
    with ZohoClient(settings_for(la), engine) as second:
        assert organisation_calls(second) == 1  # on entering, before any cursor
        assert second.zone == LA
    with ZohoClient(settings_for(la), engine) as third:
        assert third.zone == LA
    with engine.connect() as conn:
        read_at = conn.scalar(select(zoho_organizations.c.read_at))
    assert utcnow() - read_at < timedelta(minutes=1)
    assert organisation_calls(third) == 0
    age_the_cached_zone(engine)
    with ZohoClient(settings_for(la, time_zone="Asia/Baghdad"), engine) as configured:
        assert configured.zone == BAGHDAD and organisation_calls(configured) == 0
    la.faults(errors=[{"status": 503, "rate": 1.0}])  # the re-read fails: the cached zone
    try:  # is kept (and asked again next time), no run fails for it
        with ZohoClient(settings_for(la, max_attempts=1), engine) as failing:
            assert failing.zone == LA and organisation_calls(failing) == 1
    finally:
        la.faults()


def test_a_zone_change_rewinds_the_cursors_so_no_edit_is_skipped(
    la: SandboxProcess, engine: Engine
) -> None:
    """Case 8. The organisation moves from Baghdad (+0300) to Los Angeles (-0800) while the
    replica still writes cursors in Baghdad's offset, and Zoho reads their wall-clock time in
    Los Angeles: 11 hours later than meant. An edit just after the move is skipped, and a
    later edit moves the watermark past it for good. The daily re-read sees the new zone and
    rewinds every cursor to before the last read that saw the old one: the next incremental
    lists the skipped edit."""
    la.reset()
    la.clock(time_zone="Asia/Baghdad")
    try:
        _skip_then_recover(la, engine)
    finally:
        la.reset()  # the module's sandbox: Los Angeles, real time


def _skip_then_recover(la: SandboxProcess, engine: Engine) -> None:
    def incremental() -> None:
        with ZohoClient(settings_for(la), engine) as client:
            sync_entity(client, engine, BY_NAME["invoices"])

    def versions() -> dict[str, datetime]:
        query = select(invoices.c.zoho_id, invoices.c.zoho_last_modified_time)
        with engine.connect() as conn:
            return {z: v for z, v in conn.execute(query)}

    incremental()  # Baghdad read and cached
    la.mutate("invoices", "update", count=1)
    incremental()  # the watermark is now, the zone still Baghdad
    la.clock(time_zone="America/Los_Angeles")  # the organisation moves
    skipped = str(la.mutate("invoices", "update", count=1)["records"][0]["id"])
    la.clock(skew=12 * 3600)  # twelve hours on, another edit
    later = str(la.mutate("invoices", "update", count=1)["records"][0]["id"])
    incremental()  # still Baghdad's offset: lists `later`, not `skipped`
    truth = {str(r["invoice_id"]): parse_zoho_time(r["last_modified_time"])
             for r in la.records("invoices")}  # fmt: skip
    stored = versions()
    assert stored[later] == truth[later] and stored[skipped] != truth[skipped]
    assert get_watermark(engine, "invoices") >= truth[later] - timedelta(seconds=6)
    age_the_cached_zone(engine)  # a day on: the zone is asked again
    incremental()
    assert versions()[skipped] == truth[skipped]
    with engine.connect() as conn:
        assert conn.scalar(select(zoho_organizations.c.time_zone)) == "America/Los_Angeles"
