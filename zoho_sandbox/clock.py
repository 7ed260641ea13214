"""Time, id and RNG helpers shared by the generators.

Generated data never reads the wall clock: every timestamp lies between GEN_START and GEN_END,
so mutations (which use real time, clamped above GEN_END) always sort after seed data.

The organisation's time zone (`TZ`) is set once at start-up by `set_time_zone`, before the
world is generated; the sandbox serves one organisation per process, so a module setting is
enough. The generated instants do not depend on it: only how they are rendered does.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The seed data's epoch stays in Baghdad time whatever the zone, so one seed means the same
# instants everywhere (Baghdad has kept +0300 all year since 2008).
GEN_TZ = timezone(timedelta(hours=3))
TZ: tzinfo = GEN_TZ  # the organisation's zone; set_time_zone replaces it at start-up
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
    global TZ
    TZ = load_zone(name)


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
    report Zoho doing (unconfirmed)."""
    if not _TS_RE.match(value):
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    if not honour_offset:
        parsed = parsed.replace(tzinfo=TZ)
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
