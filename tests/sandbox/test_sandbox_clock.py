"""The sandbox's clock: `--clock-skew` and `POST /_sandbox/clock` move every wall-clock reading
(mutation stamps, the quota's day, `X-Rate-Limit-Reset`, the HTTP `Date` header), and the
organisation's time zone can change at run time. The clock is always placed at a fixed
instant, so nothing here depends on the hour the suite runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.sandbox.sandbox_helpers import ORG, Zoho
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.process import SandboxProcess

FMT = "%Y-%m-%dT%H:%M:%S%z"
TINY = {"items": 10, "invoices": 10, "bills": 5, "creditnotes": 5, "salesorders": 5,
        "customers": 5, "vendors": 2, "inventory_only_items": 1}  # fmt: skip
HIGH = {"books_rpm": 100_000, "inventory_rpm": 100_000}
DAY_AHEAD = 86_400 * 3 + 1234  # a skew no real clock error would explain


def _instant(text: str) -> float:
    return datetime.strptime(text, FMT).timestamp()


@pytest.fixture(scope="module")
def ahead() -> Iterator[SandboxProcess]:
    with SandboxProcess(**TINY, **HIGH, daily_limit=50, clock_skew=DAY_AHEAD,
                        filter_offset="ignored") as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(ahead: SandboxProcess) -> SandboxProcess:
    ahead.reset()  # back to the start-up skew and zone
    return ahead


@pytest.fixture
def zoho(sb: SandboxProcess) -> Zoho:
    client = Zoho(sb.url)
    client.login()
    return client


def _date(resp: httpx.Response) -> float:
    (value,) = resp.headers.get_list("date")  # the sandbox's own, uvicorn's suppressed
    assert value.endswith(" GMT") and value[3:5] == ", ", value  # RFC 7231 IMF-fixdate
    return parsedate_to_datetime(value).timestamp()


def test_clock_skew_flag_parses_negative_values() -> None:
    _args, cfg = parse_args(["--clock-skew", "-3600"])
    assert cfg.clock_skew == -3600.0
    assert parse_args([])[1].clock_skew == 0.0


def test_date_header_reads_the_skewed_clock(sb: SandboxProcess, zoho: Zoho) -> None:
    for resp in (zoho.get("/books/v3/contacts"), zoho.get("/inventory/v1/items"),
                 zoho.http.get("/_sandbox/stats")):  # fmt: skip
        assert resp.status_code == 200
        assert abs(_date(resp) - (time.time() + DAY_AHEAD)) < 5
    state = sb.clock()
    assert state["skew"] == DAY_AHEAD and state["time_zone"] == "Asia/Baghdad"
    assert abs(state["now"] - (time.time() + DAY_AHEAD)) < 5


def test_negative_skew_from_the_command_line() -> None:
    with SandboxProcess(**TINY, clock_skew=-7200) as sb:
        resp = httpx.get(f"{sb.url}/_sandbox/stats")
        assert abs(_date(resp) - (time.time() - 7200)) < 5
        assert sb.stats()["clock"]["skew"] == -7200


def test_mutation_stamps_follow_the_clock_and_never_go_back(sb: SandboxProcess) -> None:
    at = _instant("2027-03-10T12:00:00+0300")
    assert sb.clock(now=at)["skew"] != DAY_AHEAD
    first = sb.mutate("contacts", "update")["records"][0]["last_modified_time"]
    assert at <= _instant(first) < at + 5 and first.endswith("+0300")
    sb.clock(now=at + 3600)
    later = sb.mutate("contacts", "update")["records"][0]["last_modified_time"]
    assert at + 3600 <= _instant(later) < at + 3605
    sb.clock(now=at)  # the clock goes back an hour: stamps hold, they never go backwards
    held = sb.mutate("contacts", "update")["records"][0]["last_modified_time"]
    assert held == later


def test_rate_limit_reset_and_the_quota_day_follow_the_clock(
    sb: SandboxProcess, zoho: Zoho
) -> None:
    sb.clock(now=_instant("2027-01-15T23:58:20+0300"))  # 100 s before Baghdad's midnight
    resp = zoho.get("/books/v3/contacts")
    assert 94 <= int(resp.headers["X-Rate-Limit-Reset"]) <= 100
    for _ in range(3):
        resp = zoho.get("/books/v3/contacts")
    assert resp.headers["X-Rate-Limit-Remaining"] == "46"
    sb.clock(now=_instant("2027-01-16T00:00:10+0300"))  # a new day: the quota is whole again
    resp = zoho.get("/books/v3/contacts")
    assert resp.headers["X-Rate-Limit-Remaining"] == "49"
    assert 86_380 <= int(resp.headers["X-Rate-Limit-Reset"]) <= 86_390
    assert sb.stats()["daily_used"]["books"] == 1


def test_bad_clock_settings_are_refused_and_change_nothing(sb: SandboxProcess) -> None:
    http = httpx.Client(base_url=sb.url)
    for body in ({"skew": "soon"}, {"skew": 1, "now": 2}, {"time_zone": "Mars/Olympus"},
                 {"skew": 60, "time_zone": "Nowhere/Atall"}, {"tick": 1}):  # fmt: skip
        resp = http.post("/_sandbox/clock", json=body)
        assert resp.status_code == 400, body
        assert resp.json()["error"]
    state = sb.clock()
    assert state["skew"] == DAY_AHEAD and state["time_zone"] == "Asia/Baghdad"


def test_time_zone_changes_at_run_time(sb: SandboxProcess, zoho: Zoho) -> None:
    sb.clock(now=_instant("2027-01-20T10:00:00+0300"))
    cid = sb.mutate("contacts", "update")["records"][0]["id"]
    before = zoho.ok(f"/books/v3/contacts/{cid}")["contact"]
    generated = zoho.ok("/books/v3/invoices")["invoices"][0]
    assert before["last_modified_time"].endswith("+0300")

    state = sb.clock(time_zone="America/New_York")
    assert state["time_zone"] == "America/New_York" and state["now_text"].endswith("-0500")
    org = zoho.ok(f"/books/v3/organizations/{ORG}")["organization"]
    assert org["time_zone"] == "America/New_York"
    after = zoho.ok(f"/books/v3/contacts/{cid}")["contact"]
    regenerated = zoho.ok(f"/books/v3/invoices/{generated['invoice_id']}")["invoice"]
    # the changed record and the generated ones are rendered again: same instants, new offset
    for old, new in ((before, after), (generated, regenerated)):
        for key in ("created_time", "last_modified_time"):
            assert new[key][-5:] in ("-0500", "-0400"), new[key]
            assert _instant(new[key]) == _instant(old[key])
    assert after["last_modified_time"].startswith("2027-01-20T02:00:0")  # 10:00 in Baghdad
    new_stamp = sb.mutate("contacts", "update", ids=[cid])["records"][0]["last_modified_time"]
    assert new_stamp.endswith("-0500")

    # filter offsets are ignored here: the wall-clock time is read in the new zone
    def since(wall: str) -> set[str]:
        rows = zoho.list_all("/books/v3/contacts", "contacts", last_modified_time=wall)
        return {r["contact_id"] for r in rows}

    assert since("2027-01-20T01:59:00+0300") == {cid}  # 01:59 New York, before the edits
    assert since("2027-01-20T09:59:00+0300") == set()  # 09:59 New York: hours after them

    sb.reset()  # the zone at start-up comes back (tokens too: log in again)
    zoho.login()
    assert zoho.ok(f"/books/v3/organizations/{ORG}")["organization"]["time_zone"] == (
        "Asia/Baghdad"
    )
