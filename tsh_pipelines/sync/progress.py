"""How far a long sync step is, in words a person reads.

The sync functions already log a line per page ("invoices: page 3, 600 rows") or per batch
("product_warehouse_stock: 150 of 500 items"). `Progress` is the logger they are given: it
passes every line on and adds to those lines "600 of 2,000 records (30 %), about 1 min 10 s
left at Zoho's current rate". The total is Zoho's own count, asked once and only when a
listing fills its first page (a one-page listing never costs the extra call); the rate is
measured over the last few lines, so it follows Zoho's limits and waits as they are now.
The same figures go on the materialization (`as_metadata`).

Free of Dagster: it wraps any logger, Dagster's included.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Any

PER_PAGE = 200  # a listing that fills a page may have more: only then is Zoho asked to count
# "page 3, 600 rows" (a listing) or "150 of 500 items" (a loop over known work).
PAGE_LINE = re.compile(r"page \d+, (?P<done>[\d,]+) rows")
OF_LINE = re.compile(r"(?P<done>[\d,]+) of (?P<total>[\d,]+) (?:items|documents)")
RATE_WINDOW = 8  # lines the rate is measured over

Count = Callable[[], int]
Logger = logging.Logger | logging.LoggerAdapter


class Progress(logging.LoggerAdapter):
    """A logger that adds "N of M records (P %), about T left at Zoho's current rate"."""

    def __init__(
        self,
        logger: Logger,
        count: Count | int | None = None,
        unit: str = "records",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logger, {})
        self._count = count
        self.total: int | None = count if isinstance(count, int) else None
        self.unit = unit
        self.done = 0
        self._clock = clock
        self.started = clock()
        self._recent: deque[tuple[float, int]] = deque([(self.started, 0)], maxlen=RATE_WINDOW)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        match = self._advance(text)
        if match is not None and self.total is not None:
            # A line that says "N of M" already gets the rest; a page line gets it all.
            said = "total" in match.groupdict()
            text = f"{text} {self.rest()}" if said else f"{text}: {self.describe()}"
        self.logger.log(level, text, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs

    def _advance(self, text: str) -> re.Match[str] | None:
        match = OF_LINE.search(text) or PAGE_LINE.search(text)
        if match is None:
            return None
        self.done = int(match["done"].replace(",", ""))
        if "total" in match.groupdict():
            self.total = int(match["total"].replace(",", ""))
        elif self.total is None and callable(self._count) and self.done >= PER_PAGE:
            self.total = self._ask_zoho()
        self._recent.append((self._clock(), self.done))
        return match

    def _ask_zoho(self) -> int | None:
        count, self._count = self._count, None  # once, whatever the answer
        try:
            return count()  # type: ignore[misc]
        except Exception as exc:  # progress is advisory: a failed count never fails a sync
            self.logger.warning("Zoho's count for the progress line failed (%s)", exc)
            return None

    def rate_per_second(self) -> float | None:
        """Units per second over the last few lines: Zoho's pace now, waits included."""
        (t0, d0), (t1, d1) = self._recent[0], self._recent[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 and d1 > d0 else None

    def seconds_left(self) -> float | None:
        rate = self.rate_per_second()
        if self.total is None or rate is None:
            return None
        return max(0, self.total - self.done) / rate

    def percent(self) -> float | None:
        if not self.total:
            return None
        return round(min(self.done, self.total) / self.total * 100, 1)

    def describe(self) -> str:
        """ "600 of 2,000 records (30 %), about 1 min 10 s left at Zoho's current rate"."""
        if self.total is None:
            return f"{self.done:,} {self.unit}"
        return f"{self.done:,} of {self.total:,} {self.unit} {self.rest()}"

    def rest(self) -> str:
        """ "(30 %), about 1 min 10 s left at Zoho's current rate": what follows N of M."""
        line = f"({self.percent():g} %)"
        left = self.seconds_left()
        if left is not None and self.done < (self.total or 0):
            line += f", about {duration(left)} left at Zoho's current rate"
        return line

    def as_metadata(self) -> dict[str, Any]:
        """The figures of the last line, for the materialization. A listing that ended
        without a count was whole: its total is what it listed."""
        total = self.total if self.total is not None else self.done
        elapsed = self._clock() - self.started
        percent = round(min(self.done, total) / total * 100, 1) if total else 100.0
        meta: dict[str, Any] = {
            "progress": f"{self.done:,} of {total:,} {self.unit} ({percent:g} %)",
            "progress_done": self.done,
            "progress_total": total,
            "progress_percent": percent,
            "progress_seconds": round(elapsed, 1),
        }
        if elapsed >= 1:  # a rate over less than a second says nothing about Zoho's pace
            meta[f"{self.unit}_per_minute"] = round(self.done / elapsed * 60, 1)
        return meta


def duration(seconds: float) -> str:
    """`75` → "1 min 15 s"; whole seconds (at least 1) below a minute, minutes above an hour."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
