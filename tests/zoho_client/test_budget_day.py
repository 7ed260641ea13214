"""The daily budget's day is the organisation's, at every hour of ours.

The clock is frozen at 02:00 UTC, when Los Angeles is still on the day before: the hours at
which a counter labelled in UTC's calendar reset early, or kept yesterday's count.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tsh_db.schema import zoho_rate_limits
from tsh_db.types import utcnow
from tsh_pipelines.zoho import BOOKS, ZohoClient, ZohoSettings
from tsh_pipelines.zoho.limits import SYNC, SharedRateLimiter, day_ending_at
from tsh_pipelines.zoho.organization import next_midnight
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

LA = ZoneInfo("America/Los_Angeles")
TWO_AM_UTC = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 18:00 on 1 December in Los Angeles
LA_MIDNIGHT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(TWO_AM_UTC, tick=False) as traveller:
        yield traveller


def limiter_for(engine: Engine) -> SharedRateLimiter:
    settings = ZohoSettings(**DEMO_CREDENTIALS, books_rpm=1000)  # the limiter alone: no HTTP
    return SharedRateLimiter(settings, engine, SYNC, "test")


def bucket(engine: Engine) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(zoho_rate_limits).where(zoho_rate_limits.c.api == BOOKS)).one()
    return dict(row._mapping)


@pytest.mark.parametrize(
    "zone",
    ["America/Los_Angeles", "Asia/Baghdad", "Asia/Kathmandu", "UTC", "Pacific/Honolulu",
     "Pacific/Pago_Pago", "America/St_Johns"],
)  # fmt: skip
def test_the_day_a_reset_ends_is_read_off_the_reset_before_the_zone_is_known(zone: str) -> None:
    tz = ZoneInfo(zone)
    for hour in range(0, 24, 5):
        now = TWO_AM_UTC + timedelta(hours=hour, minutes=17)
        reset = next_midnight(now, tz) + timedelta(seconds=0.6)  # the header's rounding
        assert day_ending_at(reset, None) == now.astimezone(tz).date()
        assert day_ending_at(reset, tz) == now.astimezone(tz).date()


def test_at_two_utc_zohos_reset_labels_the_organisations_day(
    engine: Engine, frozen: time_machine.Traveller
) -> None:
    limiter = limiter_for(engine)
    allowed = limiter.allowed_today(BOOKS)
    # the call that asks Zoho for the zone is counted before the zone is known
    to_midnight = (LA_MIDNIGHT - utcnow()).total_seconds()
    limiter.release(limiter.acquire(BOOKS), used_today=1, resets_in=to_midnight)
    row = bucket(engine)
    assert row["day"] == date(2026, 12, 1) and row["day_calls"] == 1
    assert row["resets_at"] == LA_MIDNIGHT
    limiter.zone = LA
    assert bucket(engine)["day"] == date(2026, 12, 1) and bucket(engine)["day_calls"] == 1
    frozen.move_to(LA_MIDNIGHT - timedelta(seconds=1))
    assert limiter.remaining_today(BOOKS) == allowed - 1
    frozen.move_to(LA_MIDNIGHT + timedelta(seconds=1))
    assert limiter.remaining_today(BOOKS) == allowed


def test_learning_the_zone_mid_day_keeps_the_count_and_moves_the_guessed_end(
    engine: Engine, frozen: time_machine.Traveller
) -> None:
    limiter = limiter_for(engine)
    allowed = limiter.allowed_today(BOOKS)
    limiter.release(limiter.acquire(BOOKS))  # no header: UTC's calendar is all we know
    assert bucket(engine)["resets_at"] == datetime(2026, 12, 3, tzinfo=UTC)
    limiter.zone = LA
    row = bucket(engine)
    assert row["day"] == date(2026, 12, 1) and row["day_calls"] == 1
    assert row["resets_at"] == LA_MIDNIGHT
    # Los Angeles' new day starts at 08:00 UTC, not at UTC's midnight 16 hours later
    frozen.move_to(LA_MIDNIGHT + timedelta(minutes=30))
    assert limiter.remaining_today(BOOKS) == allowed
    limiter.release(limiter.acquire(BOOKS))
    row = bucket(engine)
    assert row["day"] == date(2026, 12, 2) and row["day_calls"] == 1
    # ... and that day's count survives UTC's midnight
    frozen.move_to(datetime(2026, 12, 3, 0, 30, tzinfo=UTC))
    assert limiter.remaining_today(BOOKS) == allowed - 1


def test_at_two_utc_a_los_angeles_organisation_counts_its_own_day_over_http(
    engine: Engine,
) -> None:
    """The whole path: the sandbox's clock set to ours, frozen at 02:00 UTC (ticking)."""
    with (
        time_machine.travel(TWO_AM_UTC, tick=True),
        SandboxProcess(seed=5, time_zone="America/Los_Angeles", items=5, customers=3,
                       vendors=1, invoices=3, bills=1, creditnotes=1, salesorders=1) as sb,
    ):  # fmt: skip
        sb.clock(now=utcnow().timestamp())
        with ZohoClient(settings_for(sb), engine) as client:
            client.get(BOOKS, "contacts")  # no cursor: the zone is not asked for yet
            first = bucket(engine)
            client.get(BOOKS, "invoices", {"last_modified_time": utcnow()})  # now it is
            assert client.zone == LA
        second = bucket(engine)
    for row in (first, second):
        assert row["day"] == date(2026, 12, 1)
        assert abs((row["resets_at"] - LA_MIDNIGHT).total_seconds()) < 5
    assert second["day_calls"] == 3  # contacts, the organisation, invoices
