"""The organisation's clock: its time zone, read from Zoho once a day and kept in the database.

Zoho writes every timestamp in the organisation's offset and counts the daily call limit by
the organisation's calendar day, so cursors are formatted in that offset and the daily budget
resets at the organisation's midnight (or when Zoho's X-Rate-Limit-Reset says). Every process
reads `zoho_organizations`; the first to find the record older than a day asks Zoho again
(one call a day), because an organisation can change its zone and Zoho may read a cursor's
wall-clock time in the zone it has now. When the zone did change, every cursor is rewound to
before the last read that still saw the old one (`rewind_cursors`), so the edits a cursor
written in the old zone skipped meanwhile are listed again. `ZOHO_TIME_ZONE` overrides it all
(an OAuth grant without the ZohoBooks.settings.READ scope) and costs no call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import upsert
from tsh_db.schema import zoho_organizations, zoho_sync_state
from tsh_db.types import utcnow
from tsh_pipelines.zoho.errors import ZohoAPIError, ZohoError
from tsh_pipelines.zoho.settings import BOOKS

if TYPE_CHECKING:
    from tsh_pipelines.zoho.client import ZohoClient

# How long a zone read from Zoho is trusted: a day, so a change costs at most a day of
# cursors in the wrong zone (then rewound) for one call a day.
REREAD_AFTER = timedelta(days=1)
log = logging.getLogger(__name__)


class UnknownTimeZone(ValueError):
    """Zoho named a time zone this machine's zone database does not know."""


@dataclass(frozen=True)
class KnownZone:
    zone: ZoneInfo
    read_at: datetime

    def fresh(self, now: datetime) -> bool:
        return now - self.read_at < REREAD_AFTER


def zone_named(name: str, source: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(
            f"{source} gives the organisation's time zone as {name!r}, which is not an IANA "
            "zone name this machine knows: set ZOHO_TIME_ZONE (e.g. Asia/Baghdad)"
        ) from exc


def stored(engine: Engine, organization_id: str) -> KnownZone | None:
    t = zoho_organizations
    with engine.connect() as conn:
        row = conn.execute(
            select(t.c.time_zone, t.c.read_at).where(t.c.organization_id == organization_id)
        ).first()
    if row is None or not row.time_zone:
        return None
    return KnownZone(zone_named(row.time_zone, "zoho_organizations"), row.read_at)


def organization_zone(client: ZohoClient, engine: Engine) -> ZoneInfo:
    """The setting, else the record cached less than a day ago, else one call to Zoho (then
    cached). A failed re-read keeps the cached zone: the next process tries again."""
    settings = client.settings
    if settings.time_zone:
        return zone_named(settings.time_zone, "ZOHO_TIME_ZONE")
    org_id = settings.organization_id
    known = stored(engine, org_id)
    if known is not None and known.fresh(utcnow()):
        return known.zone
    try:
        record = client.get(BOOKS, f"organizations/{org_id}")["organization"]
    except ZohoError as exc:
        if known is not None:
            log.warning("Zoho organisation %s: the daily re-read of its time zone failed, "
                        "keeping %s: %s", org_id, known.zone.key, exc)  # fmt: skip
            return known.zone
        if isinstance(exc, ZohoAPIError):
            raise ZohoAPIError(
                exc.status, exc.code,
                f"{exc.message} (reading the organisation's time zone for cursors: grant the "
                "ZohoBooks.settings.READ scope or set ZOHO_TIME_ZONE)", exc.api, exc.endpoint,
            ) from exc  # fmt: skip
        raise
    zone = zone_named(str(record.get("time_zone") or ""), f"Zoho's organisation {org_id}")
    save_zone(engine, org_id, record.get("name"), zone, known)
    return zone


def save_zone(
    engine: Engine, org_id: str, name: str | None, zone: ZoneInfo, known: KnownZone | None
) -> None:
    """Cache the zone read now; rewind the cursors in the same transaction if it changed."""
    row = {"organization_id": org_id, "name": name, "time_zone": zone.key, "read_at": utcnow()}
    with engine.begin() as conn:
        upsert(conn, zoho_organizations, [row], ["organization_id"], ignore_for_change=())
        if known is not None and known.zone.key != zone.key:
            to = rewind_cursors(conn, known, zone)
            log.warning("Zoho organisation %s moved from %s to %s: every cursor rewound to %s, "
                        "so edits a cursor in the old zone skipped are listed again",
                        org_id, known.zone.key, zone.key, to.isoformat())  # fmt: skip


def rewind_cursors(conn: Connection, old: KnownZone, new: tzinfo) -> datetime:
    """Move every watermark back to before the zone could have changed.

    Cursors were right up to `old.read_at` (Zoho still had the old zone then); after it, a
    cursor written in the old zone and read in the new one named an instant later by the
    difference of the offsets, skipping the edits in between, however far the watermark then
    moved. So: back to the last read, less that difference (the watermark may have stood that
    far before it), and the next listing of each entity covers every edit since."""
    now = utcnow()
    old_offset, new_offset = now.astimezone(old.zone).utcoffset(), now.astimezone(new).utcoffset()
    ahead = max(timedelta(0), (old_offset or timedelta(0)) - (new_offset or timedelta(0)))
    to = old.read_at - ahead
    s = zoho_sync_state
    conn.execute(update(s).where(s.c.watermark > to).values(watermark=to, updated_at=now))
    return to


def next_midnight(moment: datetime, zone: tzinfo) -> datetime:
    """The first instant of the organisation's next calendar day after `moment`."""
    local = moment.astimezone(zone)
    day = local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)
