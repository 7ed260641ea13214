"""The organisation's clock: its time zone, read once from Zoho and kept in the database.

Zoho writes every timestamp in the organisation's offset and counts the daily call limit by
the organisation's calendar day, so cursors are formatted in that offset and the daily budget
resets at the organisation's midnight (or when Zoho's X-Rate-Limit-Reset says). The zone is
asked of Zoho once per organisation, ever: every later process reads `zoho_organizations`.
`ZOHO_TIME_ZONE` overrides it (an OAuth grant without the ZohoBooks.settings.READ scope).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsh_db.dialect import insert_missing
from tsh_db.schema import zoho_organizations
from tsh_db.types import utcnow
from tsh_pipelines.zoho.errors import ZohoAPIError
from tsh_pipelines.zoho.settings import BOOKS

if TYPE_CHECKING:
    from tsh_pipelines.zoho.client import ZohoClient


class UnknownTimeZone(ValueError):
    """Zoho named a time zone this machine's zone database does not know."""


def zone_named(name: str, source: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(
            f"{source} gives the organisation's time zone as {name!r}, which is not an IANA "
            "zone name this machine knows: set ZOHO_TIME_ZONE (e.g. Asia/Baghdad)"
        ) from exc


def stored_zone(engine: Engine, organization_id: str) -> ZoneInfo | None:
    t = zoho_organizations
    with engine.connect() as conn:
        name = conn.scalar(select(t.c.time_zone).where(t.c.organization_id == organization_id))
    return zone_named(name, "zoho_organizations") if name else None


def organization_zone(client: ZohoClient, engine: Engine) -> ZoneInfo:
    """The setting, else the cached record, else one call to Zoho (then cached)."""
    settings = client.settings
    if settings.time_zone:
        return zone_named(settings.time_zone, "ZOHO_TIME_ZONE")
    org_id = settings.organization_id
    zone = stored_zone(engine, org_id)
    if zone is not None:
        return zone
    try:
        record = client.get(BOOKS, f"organizations/{org_id}")["organization"]
    except ZohoAPIError as exc:
        raise ZohoAPIError(
            exc.status, exc.code,
            f"{exc.message} (reading the organisation's time zone for cursors: grant the "
            "ZohoBooks.settings.READ scope or set ZOHO_TIME_ZONE)", exc.api, exc.endpoint,
        ) from exc  # fmt: skip
    zone = zone_named(str(record.get("time_zone") or ""), f"Zoho's organisation {org_id}")
    row = {"organization_id": org_id, "name": record.get("name"), "time_zone": zone.key,
           "read_at": utcnow()}  # fmt: skip
    with engine.begin() as conn:
        insert_missing(conn, zoho_organizations, [row], ["organization_id"])
    return zone


def next_midnight(moment: datetime, zone: tzinfo) -> datetime:
    """The first instant of the organisation's next calendar day after `moment`."""
    local = moment.astimezone(zone)
    day = local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)
