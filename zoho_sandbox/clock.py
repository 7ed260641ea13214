"""Time, id and RNG helpers shared by the generators.

Generated data never reads the wall clock: every timestamp lies between GEN_START and GEN_END,
so mutations (which use real time, clamped above GEN_END) always sort after seed data.

The organisation's time zone (`TZ`) is set at start-up by `set_time_zone`, before the world is
generated, and may change at run time (`POST /_sandbox/clock`); the sandbox serves one
organisation per process, so a module setting is enough. The generated instants do not depend
on it: only how they are rendered does.

`now()` is the sandbox's wall clock: real time plus `SKEW` seconds (`--clock-skew`, or
`POST /_sandbox/clock`). Everything that reads the wall clock reads it through `now()`:
mutation stamps, the quota's day, `X-Rate-Limit-Reset`, `Retry-After` for code 45 and the
HTTP `Date` header. Intervals (rate windows, token expiry) use `time.monotonic()`.
"""

from __future__ import annotations

import math
import random
import re
import time
from datetime import date, datetime, timedelta, timezone, tzinfo
from email.utils import formatdate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The seed data's epoch stays in Baghdad time whatever the zone, so one seed means the same
# instants everywhere (Baghdad has kept +0300 all year since 2008).
GEN_TZ = timezone(timedelta(hours=3))
TZ: tzinfo = GEN_TZ  # the organisation's zone; set_time_zone replaces it at start-up
TZ_NAME = "Asia/Baghdad"
SKEW = 0.0  # seconds the sandbox's clock reads ahead of real time (negative: behind)
DAY0 = date(2024, 1, 1)
DOC_FIRST_DAY = (date(2025, 1, 1) - DAY0).days
DOC_LAST_DAY = (date(2026, 6, 30) - DAY0).days
EPOCH0 = int(datetime(2024, 1, 1, tzinfo=GEN_TZ).timestamp())
GEN_END = int(datetime(2026, 6, 30, 23, 59, 59, tzinfo=GEN_TZ).timestamp())
DAY_SECONDS = 86_400

_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_STRINGS = [(DAY0 + timedelta(days=i)).isoformat() for i in range(3 * 366)]

# Zoho ids are 15-19 digit integers above 2^53; ours are 19 digits and stay below 2^63 so a
# client storing them as BIGINT still works.
_ID_BASE = 5_400_000_000_000_000_000


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError with a message a person can act on otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as Asia/Baghdad or "
            "America/Los_Angeles"
        ) from exc


def set_time_zone(name: str) -> None:
    global TZ, TZ_NAME
    TZ, TZ_NAME = load_zone(name), name


def set_skew(seconds: float) -> None:
    global SKEW
    if not math.isfinite(seconds):
        raise ValueError("clock skew must be a finite number of seconds")
    SKEW = float(seconds)


def now() -> float:
    """The sandbox's wall clock: real time plus the skew."""
    return time.time() + SKEW


def http_date(t: float) -> str:
    """RFC 7231 IMF-fixdate, e.g. `Sun, 01 Nov 2026 09:30:00 GMT`."""
    return formatdate(t, usegmt=True)


def make_id(seed: int, ent: int, n: int) -> int:
    return _ID_BASE + (seed % 10_000) * 10**14 + ent * 10**12 + n


def rng_for(seed: int, ent: int, idx: int) -> random.Random:
    """Per-record RNG so any record's lazy parts can be rebuilt alone, in any order."""
    return random.Random(((seed & 0xFFFFFFFF) << 48) | (ent << 40) | idx)


def fmt_ts(t: int) -> str:
    return datetime.fromtimestamp(t, TZ).strftime("%Y-%m-%dT%H:%M:%S%z")


def day_str(day: int) -> str:
    return (
        _DAY_STRINGS[day]
        if 0 <= day < len(_DAY_STRINGS)
        else (DAY0 + timedelta(days=day)).isoformat()
    )


def day_start(day: int) -> int:
    return EPOCH0 + day * DAY_SECONDS


def today_of(t: int) -> str:
    return datetime.fromtimestamp(t, TZ).date().isoformat()


def day_of(t: int) -> int:
    return (datetime.fromtimestamp(t, TZ).date() - DAY0).days


def parse_ts(value: str, honour_offset: bool = True) -> int | None:
    """Filter timestamp `YYYY-MM-DDTHH:MM:SS+HHMM`; None when malformed (e.g. `+` sent raw,
    which arrives as a space). With `honour_offset` false the offset is checked but then
    dropped and the wall-clock part read in the organisation's zone, as connector users
    report Zoho doing (unconfirmed). A wall-clock time a daylight-saving fall-back repeats
    is read as its FIRST occurrence (fold=0, Python's default: `01:30` on 2026-11-01 in
    Los Angeles is 01:30-0700); one a spring-forward skips takes the offset before the jump."""
    if not _TS_RE.match(value):
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    if not honour_offset:
        parsed = parsed.replace(tzinfo=TZ, fold=0)
    return int(parsed.timestamp())


def parse_date(value: str) -> str | None:
    if not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def seconds_to_midnight(now: float) -> int:
    local = datetime.fromtimestamp(now, TZ)
    nxt = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int(nxt.timestamp() - now))
