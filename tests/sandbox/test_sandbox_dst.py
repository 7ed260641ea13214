"""A daylight-saving fall-back hour: on 2026-11-01 Los Angeles lives 01:00-02:00 twice, first at
-0700, then at -0800. The sandbox's clock is placed inside that hour (a skew), so edits made
there render the right offset, and a filter whose offset is ignored reads an ambiguous
wall-clock time as its first occurrence (fold=0)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest

from tests.sandbox.sandbox_helpers import Zoho
from zoho_sandbox.process import SandboxProcess

FMT = "%Y-%m-%dT%H:%M:%S%z"
TINY = {"items": 10, "invoices": 10, "bills": 5, "creditnotes": 5, "salesorders": 5,
        "customers": 6, "vendors": 2, "inventory_only_items": 1}  # fmt: skip
# instants inside the repeated hour, UTC: 08:00-09:00 is 01:00-02:00 PDT, 09:00-10:00 PST
EDITS = ("2026-11-01T08:20:00+0000", "2026-11-01T08:50:00+0000",
         "2026-11-01T09:10:00+0000", "2026-11-01T09:40:00+0000")  # fmt: skip


def _instant(text: str) -> float:
    return datetime.strptime(text, FMT).timestamp()


@pytest.fixture(scope="module")
def la() -> Iterator[SandboxProcess]:
    with SandboxProcess(**TINY, books_rpm=100_000, time_zone="America/Los_Angeles",
                        filter_offset="ignored") as sb:  # fmt: skip
        yield sb


@pytest.fixture(scope="module")
def edited(la: SandboxProcess) -> list[tuple[str, str]]:
    """Four contacts edited in turn across the fall-back: (id, last_modified_time)."""
    ids = [r["contact_id"] for r in la.records("contacts")[:4]]
    out = []
    for cid, at in zip(ids, EDITS, strict=True):
        la.clock(now=_instant(at))
        result = la.mutate("contacts", "update", ids=[cid])["records"][0]
        out.append((cid, result["last_modified_time"]))
    return out


@pytest.fixture(scope="module")
def zoho(la: SandboxProcess) -> Zoho:
    client = Zoho(la.url)
    client.login()
    return client


def test_edits_across_the_fall_back_render_distinct_increasing_instants(
    edited: list[tuple[str, str]], zoho: Zoho
) -> None:
    stamps = [lmt for _cid, lmt in edited]
    assert [s[:16] for s in stamps] == [
        "2026-11-01T01:20", "2026-11-01T01:50", "2026-11-01T01:10", "2026-11-01T01:40",
    ]  # fmt: skip
    assert [s[-5:] for s in stamps] == ["-0700", "-0700", "-0800", "-0800"]
    instants = [_instant(s) for s in stamps]
    assert instants == sorted(instants) and len(set(instants)) == 4
    for at, instant in zip(EDITS, instants, strict=True):
        assert _instant(at) <= instant < _instant(at) + 5
    # the wall-clock text alone goes backwards (01:50 then 01:10): only the offset orders it
    assert stamps[2][:19] < stamps[1][:19]
    # Zoho's own sort by last_modified_time follows the instants, and the API shows the same
    listed = zoho.list_all("/books/v3/contacts", "contacts", sort_column="last_modified_time",
                           sort_order="A")  # fmt: skip
    ids = [r["contact_id"] for r in listed if r["contact_id"] in dict(edited)]
    assert ids == [cid for cid, _ in edited]
    for cid, lmt in edited:
        assert zoho.ok(f"/books/v3/contacts/{cid}")["contact"]["last_modified_time"] == lmt


def test_an_ambiguous_filter_time_is_its_first_occurrence(
    edited: list[tuple[str, str]], zoho: Zoho
) -> None:
    def since(wall: str) -> list[str]:
        rows = zoho.list_all("/books/v3/contacts", "contacts", last_modified_time=wall)
        return sorted(r["contact_id"] for r in rows)

    ids = [cid for cid, _ in edited]
    # 01:30 happens twice; fold=0 takes 01:30-0700 (08:30 UTC), whatever offset was sent:
    # the 01:50 PDT edit and both PST edits are on or after it, the 01:20 PDT one is not
    for offset in ("-0700", "-0800", "+0300"):
        assert since(f"2026-11-01T01:30:00{offset}") == sorted(ids[1:]), offset
    assert since("2026-11-01T00:59:00-0700") == sorted(ids)
    assert since("2026-11-01T02:00:00-0800") == []  # 02:00 PST is after every edit


def test_the_date_header_and_clock_read_inside_the_repeated_hour(la: SandboxProcess) -> None:
    la.clock(now=_instant("2026-11-01T09:30:00+0000"))
    state = la.clock()
    assert state["now_text"].startswith("2026-11-01T01:30:0") and state["now_text"].endswith(
        "-0800"
    )
    assert state["http_date"].startswith("Sun, 01 Nov 2026 09:30:0")
    assert abs(parsedate_to_datetime(state["http_date"]).timestamp() - state["now"]) < 1
