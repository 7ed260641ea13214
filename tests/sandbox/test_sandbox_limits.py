"""Per-minute (44), daily (45) and concurrency (1070) limits, all HTTP 429 with the
X-Rate-Limit headers; rejected calls never count."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.sandbox.sandbox_helpers import ORG, Zoho, assert_rate_headers, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

MINUTE_MESSAGE = (
    "For security reasons your organization has been blocked as it have exceeded "
    "the maximum number of requests per minute that can originate from an "
    "organization."
)
CONCURRENCY_MESSAGE = (
    "You have reached the maximum number of in process requests allowed. "
    "Kindly try again after some time."
)
TINY = {
    "items": 10,
    "invoices": 10,
    "bills": 5,
    "creditnotes": 5,
    "salesorders": 5,
    "customers": 5,
    "vendors": 2,
}


@pytest.fixture(scope="module")
def rpm_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(**TINY, books_rpm=3, inventory_rpm=2) as sb:
        yield sb


@pytest.fixture(scope="module")
def daily_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(**TINY, daily_limit=6, max_concurrent=2) as sb:
        yield sb


def test_per_minute_limit_per_api(rpm_sandbox: SandboxProcess) -> None:
    zoho = Zoho(rpm_sandbox.url)
    zoho.login()
    assert [zoho.get("/books/v3/items").status_code for _ in range(3)] == [200] * 3
    for _ in range(2):  # rejected calls do not extend the window: still refused
        resp = zoho.get("/books/v3/invoices")
        assert_zoho_error(resp, 429, 44, MINUTE_MESSAGE)
        assert_rate_headers(resp)
    # Inventory has its own, lower, window
    assert [zoho.get("/inventory/v1/items").status_code for _ in range(3)] == [200, 200, 429]
    stats = rpm_sandbox.stats()
    assert stats["peak_calls_per_minute"] == {"books": 3, "inventory": 2}
    assert stats["calls"]["books"]["invoices"] == {"429": 2}
    assert stats["calls"]["books"]["items"] == {"200": 3}
    assert stats["totals"]["inventory"]["total"] == 3
    assert stats["daily_used"] == {"books": 3, "inventory": 2}


def test_daily_limit_and_headers(daily_sandbox: SandboxProcess) -> None:
    zoho = Zoho(daily_sandbox.url)
    zoho.login()
    remaining = []
    for _ in range(6):
        resp = zoho.get("/books/v3/contacts")
        assert resp.status_code == 200
        assert resp.headers["X-Rate-Limit-Limit"] == "6"
        remaining.append(int(resp.headers["X-Rate-Limit-Remaining"]))
    assert remaining == [5, 4, 3, 2, 1, 0]
    resp = zoho.get("/books/v3/contacts")
    assert_zoho_error(
        resp,
        429,
        45,
        "The API call for this organization has exceeded the maximum call rate limit of 6.",
    )
    assert resp.headers["X-Rate-Limit-Remaining"] == "0"
    assert 0 < int(resp.headers["X-Rate-Limit-Reset"]) <= 86_400
    # an auth failure still carries the daily counter
    bad = zoho.get("/books/v3/contacts", token="1000.x.y")
    assert_zoho_error(bad, 401, 57)
    assert bad.headers["X-Rate-Limit-Remaining"] == "0"


def test_concurrent_calls_above_cap(daily_sandbox: SandboxProcess) -> None:
    zoho = Zoho(daily_sandbox.url)
    token = zoho.login()
    daily_sandbox.faults(latency_ms=600)
    try:

        def call(_: int) -> httpx.Response:
            with httpx.Client(base_url=daily_sandbox.url, timeout=10) as http:
                return http.get(
                    "/inventory/v1/items",
                    params={"organization_id": ORG},
                    headers={"Authorization": f"Zoho-oauthtoken {token}"},
                )

        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(call, range(6)))
    finally:
        daily_sandbox.faults(clear=True)
    statuses = Counter(r.status_code for r in responses)
    assert statuses[200] <= 2 and statuses[429] >= 3, statuses
    refused = [r for r in responses if r.status_code == 429]
    for resp in refused:
        assert_zoho_error(resp, 429, 1070, CONCURRENCY_MESSAGE)
        assert_rate_headers(resp)
    # refused calls were not counted against the daily quota
    assert daily_sandbox.stats()["daily_used"]["inventory"] == statuses[200]


def test_window_slides_and_can_be_compressed() -> None:
    with SandboxProcess(**TINY, books_rpm=2, rate_window=1.0) as sb:
        zoho = Zoho(sb.url)
        zoho.login()
        assert [zoho.get("/books/v3/items").status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(1.1)  # the oldest calls left the window
        assert zoho.get("/books/v3/items").status_code == 200
        assert sb.stats()["peak_calls_per_minute"]["books"] == 2
