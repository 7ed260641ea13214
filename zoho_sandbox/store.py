"""Per-entity record store with sorted indexes, so a page costs the same at page 1 and 500.

Rows carry only what listing needs (id, sort keys, status); the full record is rendered on
demand from the seed, or taken from `rec` once a mutation materialised it. Indexes are built
lazily per (view, filter_by, sort attribute) and kept sorted incrementally across mutations.
Filtered selections that cannot be served by one index slice are cached until the next change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Pred = Callable[["Row"], bool]


class Row:
    __slots__ = ("id", "idx", "name", "created", "lmt", "date", "status", "source", "core",
                 "rec", "stock")

    def __init__(self, id: str, idx: int, name: str, created: int, lmt: int, date: str,
                 status: str, source: str = "books", core: Any = None) -> None:
        self.id = id
        self.idx = idx  # generation index: the lazy renderer's RNG key
        self.name = name
        self.created = created
        self.lmt = lmt
        self.date = date
        self.status = status
        self.source = source
        self.core = core
        self.rec: dict[str, Any] | None = None  # materialised detail after a mutation
        self.stock: list[list[int]] | None = None  # materialised warehouse stock (items)


SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "name": lambda r: r.name.lower(),
    "created": lambda r: r.created,
    "lmt": lambda r: r.lmt,
    "date": lambda r: r.date,
}

VIEWS: dict[str, Pred] = {
    "all": lambda r: True,
    "books": lambda r: r.source == "books",
}


class Index:
    """Rows of one view sorted ascending by (key, id); ids are equal-length digit strings."""

    def __init__(self, rows: Iterable[Row], attr: str, member: Pred) -> None:
        self.key = SORT_KEYS[attr]
        self.member = member
        pairs = sorted(((self.key(r), r.id), r) for r in rows if member(r))
        self.keys = [p[0] for p in pairs]
        self.rows = [p[1] for p in pairs]

    def discard(self, row: Row) -> None:
        k = (self.key(row), row.id)
        i = bisect_left(self.keys, k)
        if i < len(self.keys) and self.keys[i] == k:
            del self.keys[i]
            del self.rows[i]

    def add(self, row: Row) -> None:
        if self.member(row):
            k = (self.key(row), row.id)
            i = bisect_left(self.keys, k)
            self.keys.insert(i, k)
            self.rows.insert(i, row)


@dataclass(frozen=True)
class Selection:
    """Query filters the store understands; `filter_by` names a predicate of the spec."""

    view: str
    filter_by: str
    sort_attr: str
    lmt: int | None = None
    date_start: str | None = None
    date_end: str | None = None


class EntityStore:
    def __init__(self, rows: Iterable[Row], filters: dict[str, Pred | None]) -> None:
        self.rows: dict[str, Row] = {r.id: r for r in rows}
        self.filters = filters
        self._indexes: dict[tuple[str, str, str], Index] = {}
        self._cache: OrderedDict[Selection, list[Row]] = OrderedDict()
        self.next_idx = max((r.idx for r in self.rows.values()), default=-1) + 1

    def get(self, rid: str) -> Row | None:
        return self.rows.get(rid)

    def _member(self, view: str, filter_by: str) -> Pred:
        in_view = VIEWS[view]
        status = self.filters.get(filter_by)
        if status is None:
            return in_view
        return lambda r: in_view(r) and status(r)

    def index(self, view: str, filter_by: str, attr: str) -> Index:
        key = (view, filter_by, attr)
        ix = self._indexes.get(key)
        if ix is None:
            ix = Index(self.rows.values(), attr, self._member(view, filter_by))
            self._indexes[key] = ix
        return ix

    # -- mutations: callers bracket attribute changes with begin_change/end_change
    def begin_change(self, row: Row) -> None:
        for ix in self._indexes.values():
            ix.discard(row)
        self._cache.clear()

    def end_change(self, row: Row) -> None:
        for ix in self._indexes.values():
            ix.add(row)

    def add(self, row: Row) -> None:
        self.rows[row.id] = row
        self.next_idx = max(self.next_idx, row.idx + 1)
        self._cache.clear()
        self.end_change(row)

    def remove(self, row: Row) -> None:
        self.begin_change(row)
        del self.rows[row.id]

    # -- selection
    def select(self, sel: Selection) -> tuple[list[Row], int, int]:
        """Rows matching `sel`, ascending by the sort attribute, as (list, lo, hi)."""
        if sel.lmt is None and sel.date_start is None and sel.date_end is None:
            ix = self.index(sel.view, sel.filter_by, sel.sort_attr)
            return ix.rows, 0, len(ix.rows)
        spans = self._spans(sel)
        attr, ix, lo, hi = min(spans, key=lambda s: s[3] - s[2])
        if len(spans) == 1 and attr == sel.sort_attr:
            return ix.rows, lo, hi
        cached = self._cache.get(sel)
        if cached is None:
            cached = [r for r in ix.rows[lo:hi] if self._matches(r, sel)]
            key = SORT_KEYS[sel.sort_attr]
            cached.sort(key=lambda r: (key(r), r.id))
            self._cache[sel] = cached
            while len(self._cache) > 32:
                self._cache.popitem(last=False)
        return cached, 0, len(cached)

    def _spans(self, sel: Selection) -> list[tuple[str, Index, int, int]]:
        spans = []
        if sel.lmt is not None:
            ix = self.index(sel.view, sel.filter_by, "lmt")
            spans.append(("lmt", ix, bisect_left(ix.keys, (sel.lmt, "")), len(ix.keys)))
        if sel.date_start is not None or sel.date_end is not None:
            ix = self.index(sel.view, sel.filter_by, "date")
            lo = bisect_left(ix.keys, (sel.date_start or "", ""))
            hi = bisect_right(ix.keys, (sel.date_end or "9999-12-31", "~"))
            spans.append(("date", ix, lo, max(lo, hi)))
        return spans

    @staticmethod
    def _matches(r: Row, sel: Selection) -> bool:
        if sel.lmt is not None and r.lmt < sel.lmt:
            return False
        if sel.date_start is not None and r.date < sel.date_start:
            return False
        return not (sel.date_end is not None and r.date > sel.date_end)
