"""Zoho's timestamps: `2026-06-11T17:38:06+0300` (offset without a colon) or a bare date."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


def parse_zoho_time(value: str | None) -> datetime | None:
    """A timezone-aware datetime; bare dates are midnight UTC; empty means unknown."""
    if not value:
        return None
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    # fromisoformat reads Zoho's colon-less offset (+0300) and is far faster than strptime,
    # which matters at a hundred thousand records a sync.
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"Zoho timestamp without an offset: {value!r}")
    return parsed


def parse_zoho_date(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value[:10])


def format_zoho_time(moment: datetime, zone: tzinfo) -> str:
    """Render as Zoho writes it, in the organisation's zone (its offset at that instant):
    some connectors find Zoho reads a filter's wall-clock time in the organisation's zone."""
    if moment.tzinfo is None:
        raise ValueError("format_zoho_time needs a timezone-aware datetime")
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")
