"""Org-wide rate limit, in-flight cap and daily budget per API, shared through the database.

A token bucket refilled at `rate_share` of Zoho's per-minute limit, with a burst capacity of
what is left of the minute: in any window of one minute at most capacity + rate calls go out,
which stays under Zoho's limit even when Zoho counts a rolling minute. Bucket and daily
counter live in `zoho_rate_limits`, in-flight slots in `zoho_api_slots`, so every process and
every Dagster run draws from the same budget.

The daily counter resets when Zoho's does: at the moment its `X-Rate-Limit-Reset` header
names, else at the organisation's midnight (UTC's until the organisation's zone is known).
A 429 with `Retry-After` empties the bucket for that long, for every process at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import case, literal, select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import insert_missing
from tsh_db.schema import zoho_api_slots, zoho_rate_limits
from tsh_db.types import utcnow
from tsh_pipelines.zoho.errors import ZohoBudgetExhausted
from tsh_pipelines.zoho.organization import next_midnight
from tsh_pipelines.zoho.settings import ZohoSettings

SYNC, WEBHOOK = "sync", "webhook"
SLOT_POLL_SECONDS = 0.05
LEASE_TOKEN_CHARS = 16
HOLDER_CHARS = 64  # zoho_api_slots.holder
# A reset Zoho announces this much later than the stored one means its new day has begun.
NEW_DAY_MARGIN = timedelta(hours=1)


def day_ending_at(resets_at: datetime, zone: tzinfo | None) -> date:
    """The organisation's calendar day that ends at `resets_at`, its midnight.

    Before the zone is known (it is asked of Zoho only when a cursor needs it), the offset is
    read off the reset itself: Zoho's day ends at local midnight, so the reset's UTC time of
    day, to the quarter hour, is minus the organisation's offset. Offsets are taken to lie in
    (-12:00, +12:00]: +13:00 and +14:00 (Tonga, Kiribati, New Zealand's summer) read as
    -11:00 and -10:00 and are labelled a day early until the zone is known; the count and
    the reset are right regardless.
    """
    if zone is not None:
        return (resets_at.astimezone(zone) - timedelta(hours=12)).date()
    utc = resets_at.astimezone(UTC)
    quarters = round((utc.hour * 60 + utc.minute + utc.second / 60) / 15) % 96
    offset = timedelta(minutes=-15 * quarters)
    if offset <= timedelta(hours=-12):
        offset += timedelta(days=1)
    return (utc + offset - timedelta(hours=12)).date()


@dataclass
class Grant:
    api: str
    slot: int
    waited: float
    # What the slot's `holder` says while this grant owns it: unique per grant.
    lease: str


class SharedRateLimiter:
    def __init__(self, settings: ZohoSettings, engine: Engine, purpose: str, holder: str) -> None:
        self.settings, self.engine, self.purpose, self.holder = settings, engine, purpose, holder
        self._slots_ready: set[str] = set()
        # The organisation's zone, once the client knows it: where its day ends.
        self._zone: tzinfo | None = None

    @property
    def zone(self) -> tzinfo:
        return self._zone or UTC

    @zone.setter
    def zone(self, zone: tzinfo) -> None:
        """Learn the organisation's zone and relabel the current day in its calendar.

        Until the zone is known the counter's day is UTC's, and the organisation call that
        teaches it is itself counted under that label. The count is kept: only the label, and
        an end of day we guessed (UTC's midnight, not Zoho's X-Rate-Limit-Reset), change.
        """
        old, self._zone = self.zone, zone
        if old == zone:
            return
        now, r = utcnow(), zoho_rate_limits
        guessed = next_midnight(now, old)
        with self.engine.begin() as conn:
            conn.execute(
                update(r)
                .where(r.c.resets_at > now)
                .values(
                    day=now.astimezone(zone).date(),
                    resets_at=case(
                        (
                            r.c.resets_at == guessed,
                            literal(next_midnight(now, zone), r.c.resets_at.type),
                        ),
                        else_=r.c.resets_at,
                    ),
                )
            )

    def new_lease(self) -> str:
        """The holder plus a per-grant token: two clients of one process share a holder, and
        an expired lease passes to the next taker, so the holder alone cannot tell grants apart.
        """
        token = secrets.token_hex(LEASE_TOKEN_CHARS // 2)
        return f"{self.holder[: HOLDER_CHARS - LEASE_TOKEN_CHARS - 1]}/{token}"

    def rate_per_second(self, api: str) -> float:
        s = self.settings
        return s.rpm(api) * s.rate_share / s.rate_window_seconds

    def capacity(self, api: str) -> float:
        s = self.settings
        return max(1.0, s.rpm(api) * (1 - s.rate_share) - 1)

    def allowed_today(self, api: str) -> int:
        limit = self.settings.daily_limit(api)
        if self.purpose == WEBHOOK:
            return limit
        return int(limit * (1 - self.settings.webhook_reserve))

    def remaining_today(self, api: str) -> int:
        """Calls this purpose may still make today: what the daily budget has left for it."""
        r = zoho_rate_limits
        with self.engine.connect() as conn:
            row = conn.execute(select(r).where(r.c.api == api)).first()
        used = self._day(row, utcnow())["day_calls"] if row is not None else 0
        return max(0, self.allowed_today(api) - used)

    def stored_skew(self) -> float | None:
        """The latest measured skew of Zoho's clock, by any process, on any API."""
        r = zoho_rate_limits
        with self.engine.connect() as conn:
            return conn.scalar(
                select(r.c.clock_skew_seconds)
                .where(r.c.clock_skew_seconds.is_not(None))
                .order_by(r.c.refilled_at.desc())
                .limit(1)
            )

    def _day(self, row: Any, now: datetime) -> dict[str, Any]:
        """The counter's day as of `now`: the stored one, or a fresh one once it has reset."""
        ended = row.resets_at <= now if row.resets_at is not None else (
            row.day != now.astimezone(self.zone).date()
        )  # fmt: skip
        if not ended:
            return {"day": row.day, "day_calls": row.day_calls, "resets_at": row.resets_at}
        return {"day": now.astimezone(self.zone).date(), "day_calls": 0,
                "resets_at": next_midnight(now, self.zone)}  # fmt: skip

    def acquire(self, api: str) -> Grant:
        """Block until this process may send one call to `api`; raise when the budget is spent."""
        started = time.monotonic()
        self._ensure_slots(api)
        lease = self.new_lease()
        while True:
            with self.engine.begin() as conn:
                slot, wait = self._try(conn, api, lease)
            if slot is not None:
                return Grant(api, slot, time.monotonic() - started, lease)
            time.sleep(wait)

    def _ensure_slots(self, api: str) -> None:
        """Create the slots the current `max_in_flight` asks for, once per limiter and API.

        Not only with the bucket row: a raised ZOHO_MAX_IN_FLIGHT must take effect on a
        database whose bucket already exists. Losers of a race insert nothing. A lowered
        setting needs no deletion: slots at or above it are never taken.
        """
        if api in self._slots_ready:
            return
        slots = [{"api": api, "slot": n} for n in range(self.settings.max_in_flight)]
        with self.engine.begin() as conn:
            insert_missing(conn, zoho_api_slots, slots, ["api", "slot"])
        self._slots_ready.add(api)

    def _try(self, conn: Connection, api: str, lease: str) -> tuple[int | None, float]:
        row = self._bucket(conn, api)
        now = utcnow()
        rate = self.rate_per_second(api)
        elapsed = max(0.0, (now - row.refilled_at).total_seconds())
        tokens = min(self.capacity(api), row.tokens + elapsed * rate)
        day = self._day(row, now)
        day_calls = day["day_calls"]
        allowed = self.allowed_today(api)
        if day_calls >= allowed:
            raise ZohoBudgetExhausted(
                api, day_calls, allowed, self.settings.daily_limit(api), self.purpose,
                day["resets_at"],
            )  # fmt: skip
        values = {"tokens": tokens, "refilled_at": now, **day}
        slot = None
        wait = (1 - tokens) / rate
        if tokens >= 1:
            slot = self._take_slot(conn, api, now, lease)
            wait = SLOT_POLL_SECONDS
            if slot is not None:
                values.update(tokens=tokens - 1, day_calls=day_calls + 1)
        conn.execute(update(zoho_rate_limits).where(zoho_rate_limits.c.api == api).values(values))
        return slot, wait

    def _bucket(self, conn: Connection, api: str):  # type: ignore[no-untyped-def]
        query = select(zoho_rate_limits).where(zoho_rate_limits.c.api == api).with_for_update()
        row = conn.execute(query).first()
        if row is None:
            now = utcnow()
            bucket = {"api": api, "tokens": self.capacity(api), "refilled_at": now,
                      "day": now.astimezone(self.zone).date(), "day_calls": 0,
                      "resets_at": next_midnight(now, self.zone)}  # fmt: skip
            insert_missing(conn, zoho_rate_limits, [bucket], ["api"])
            row = conn.execute(query).first()
        return row

    def _take_slot(self, conn: Connection, api: str, now: datetime, lease: str) -> int | None:
        t = zoho_api_slots
        free = (
            select(t.c.slot)
            .where(t.c.api == api, t.c.slot < self.settings.max_in_flight)
            .where((t.c.lease_until.is_(None)) | (t.c.lease_until < now))
            .order_by(t.c.slot)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        slot = conn.scalar(free)
        if slot is None:
            return None
        # A lease outlives any call (timeout plus margin); a crashed holder frees it by expiry.
        until = now + timedelta(seconds=self.settings.timeout_seconds + 5)
        conn.execute(
            update(t)
            .where(t.c.api == api, t.c.slot == slot)
            .values(lease_until=until, holder=lease)
        )
        return int(slot)

    def release(
        self,
        grant: Grant,
        used_today: int | None = None,
        throttled: float | None = None,
        resets_in: float | None = None,
        skew: float | None = None,
    ) -> None:
        """Free the slot; follow Zoho's own day counter and reset time; after a code 44, keep
        every process off the API for `throttled` seconds (Retry-After, or none: 0); share
        the measured `skew` of Zoho's clock."""
        t, r = zoho_api_slots, zoho_rate_limits
        now = utcnow()
        with self.engine.begin() as conn:
            # Only while the slot still carries this grant's lease: once it expired it may
            # belong to another call, whose slot we must not free.
            conn.execute(
                update(t)
                .where(t.c.api == grant.api, t.c.slot == grant.slot, t.c.holder == grant.lease)
                .values(lease_until=None)
            )
            values: dict[str, Any] = {} if skew is None else {"clock_skew_seconds": skew}
            if resets_in is not None:
                resets_at = now + timedelta(seconds=resets_in)
                values["resets_at"] = resets_at
                new_day = r.c.resets_at.is_(None) | (r.c.resets_at < resets_at - NEW_DAY_MARGIN)
                if used_today is not None:
                    # Zoho's new day began before ours: its count replaces ours
                    values["day_calls"] = case(
                        (new_day, used_today), (r.c.day_calls < used_today, used_today),
                        else_=r.c.day_calls,
                    )  # fmt: skip
                # The day Zoho counts is the one its reset ends, in any of our zones.
                values["day"] = day_ending_at(resets_at, self._zone)
            elif used_today is not None:
                # Zoho counts calls from every app of the organisation, not only ours.
                values["day_calls"] = case(
                    (r.c.day_calls < used_today, used_today), else_=r.c.day_calls
                )
            if throttled is not None:
                values.update(tokens=min(0.0, 1 - self.rate_per_second(grant.api) * throttled),
                              refilled_at=now)  # fmt: skip
            if values:
                conn.execute(update(r).where(r.c.api == grant.api).values(values))
