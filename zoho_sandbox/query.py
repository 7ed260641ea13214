"""List parameters: validation (code 2 on anything Zoho would reject), selection and paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .clock import parse_date, parse_ts
from .errors import ParamError
from .specs import EntitySpec
from .store import Row, Selection

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ListQuery:
    page: int
    per_page: int
    sort_column: str
    sort_order: str  # A | D
    filter_by: str
    count_only: bool
    selection: Selection
    criteria: tuple[tuple[str, str, str], ...]  # (column, value, comparator) for page_context


def _positive_int(params: Mapping[str, str], name: str, default: int, top: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise ParamError(name)
    return int(raw)


def _sorting(spec: EntitySpec, params: Mapping[str, str]) -> tuple[str, str]:
    column = params.get("sort_column", spec.default_sort[0])
    if column not in spec.sort_columns:
        raise ParamError("sort_column")
    default_order = spec.default_sort[1] if column == spec.default_sort[0] else "A"
    order = params.get("sort_order", default_order)
    if order not in ("A", "D"):
        raise ParamError("sort_order")
    return column, order


def _time_filters(
    spec: EntitySpec, params: Mapping[str, str], honour_offset: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"lmt": None, "date_start": None, "date_end": None, "criteria": []}
    raw = params.get("last_modified_time")  # the only timestamp filter; the rest are dates
    if raw is not None:
        # an unencoded "+" reaches us as a space; Zoho would misread it, so refuse it
        out["lmt"] = parse_ts(raw, honour_offset)
        if out["lmt"] is None:
            raise ParamError("last_modified_time")
        out["criteria"].append(("last_modified_time", raw, "greater_equal"))
    if spec.document:
        for name, comparator in (("date_start", "greater_equal"), ("date_end", "less_equal")):
            raw = params.get(name)
            if raw is None:
                continue
            out[name] = parse_date(raw)
            if out[name] is None:
                raise ParamError(name)
            out["criteria"].append(("date", raw, comparator))
    return out


def parse_list(
    spec: EntitySpec, params: Mapping[str, str], view: str, honour_offset: bool = True
) -> ListQuery:
    page = _positive_int(params, "page", 1, 10**9)
    per_page = _positive_int(params, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
    filter_by = params.get("filter_by", spec.default_filter)
    if filter_by not in spec.filters:
        raise ParamError("filter_by")
    column, order = _sorting(spec, params)
    option = params.get("response_option", "0")
    if option not in ("0", "1", "2"):
        raise ParamError("response_option")
    tf = _time_filters(spec, params, honour_offset)
    sel = Selection(
        view, filter_by, spec.sort_columns[column], tf["lmt"], tf["date_start"], tf["date_end"]
    )
    return ListQuery(
        page, per_page, column, order, filter_by, option == "2", sel, tuple(tf["criteria"])
    )


def paginate(
    rows: list[Row], lo: int, hi: int, q: ListQuery, duplicate: bool
) -> tuple[list[Row], bool]:
    """One page of rows[lo:hi] in the requested order. With the duplicate fault, each page
    starts on the previous page's last record: pages overlap by one, nothing is skipped."""
    n = hi - lo
    step = q.per_page - 1 if duplicate and q.per_page > 1 else q.per_page
    start = (q.page - 1) * step
    end = min(start + q.per_page, n)
    has_more = start + q.per_page < n
    if start >= n:
        return [], False
    if q.sort_order == "A":
        return rows[lo + start : lo + end], has_more
    return rows[hi - end : hi - start][::-1], has_more


def page_context(spec: EntitySpec, q: ListQuery, has_more: bool) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "page": q.page,
        "per_page": q.per_page,
        "has_more_page": has_more,
        "report_name": spec.report_name,
        "applied_filter": q.filter_by,
        "sort_column": q.sort_column,
        "sort_order": q.sort_order,
    }
    if q.criteria:
        ctx["search_criteria"] = [
            {"column_name": c, "search_text": v, "comparator": op} for c, v, op in q.criteria
        ]
    return ctx
