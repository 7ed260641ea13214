"""One listing of a Zoho endpoint: pages stamped when Zoho answered, and the cursor it earns.

A listing lasts minutes to hours under Zoho's limits, and Zoho keeps changing meanwhile. A
record on an already-read page that is edited later carries a time older than records read
after it, so the newest time seen is no safe cursor: a listing never moves its cursor past
its own start, on Zoho's clock (measured from its `Date` headers), less a safety margin.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from tsh_db.types import utcnow
from tsh_pipelines.sync.prefetch import prefetch
from tsh_pipelines.zoho import ZohoClient

# Zoho's Date header has whole seconds and a record saved as a page is served may carry that
# second: the margin covers both, the read-side overlap of the next run adds more.
SAFETY_MARGIN = timedelta(seconds=5)


class Listing:
    def __init__(
        self,
        client: ZohoClient,
        api: str,
        endpoint: str,
        list_key: str,
        id_field: str,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.args = (api, endpoint, list_key, id_field, params)
        self.started = utcnow()
        self.newest: datetime | None = None

    def __iter__(self) -> Iterator[tuple[datetime, list[dict]]]:
        """(received_at, records) per page; the next page is fetched while this one is written."""
        self.started = utcnow()
        yield from prefetch(self._timed())

    def _timed(self) -> Iterator[tuple[datetime, list[dict]]]:
        for records in self.client.pages(*self.args):  # type: ignore[arg-type]
            yield utcnow(), records

    def note(self, modified: datetime | None) -> None:
        if modified and (self.newest is None or modified > self.newest):
            self.newest = modified

    def cap(self) -> datetime:
        """The latest cursor this listing justifies: its start on Zoho's clock, less a margin."""
        return self.started + self.client.clock_skew - SAFETY_MARGIN

    def cursor(self, previous: datetime | None) -> datetime | None:
        """The watermark after this listing: never past its start, never backwards."""
        if self.newest is None:
            return previous
        earned = min(self.newest, self.cap())
        return earned if previous is None else max(previous, earned)
