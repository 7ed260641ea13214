"""Injected faults: seeded error sequences, latency, pages overlapping by one record."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.sandbox.sandbox_helpers import Zoho, assert_rate_headers, assert_zoho_error
from zoho_sandbox.process import SandboxProcess


@pytest.fixture(scope="module")
def faulty() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        items=30,
        invoices=120,
        bills=5,
        creditnotes=5,
        salesorders=5,
        customers=8,
        vendors=2,
        books_rpm=100_000,
        inventory_rpm=100_000,
    ) as sb:
        yield sb


@pytest.fixture
def zoho(faulty: SandboxProcess) -> Iterator[Zoho]:
    client = Zoho(faulty.url)
    client.login()
    yield client
    faulty.faults(clear=True)


def _statuses(zoho: Zoho, n: int) -> list[int]:
    return [zoho.get("/books/v3/items", per_page=1).status_code for _ in range(n)]


def test_seeded_error_sequence(zoho: Zoho, faulty: SandboxProcess) -> None:
    spec = {"errors": [{"status": 429, "rate": 0.3}, {"status": 500, "rate": 0.2}], "seed": 5}
    faulty.faults(**spec)
    first = _statuses(zoho, 40)
    faulty.faults(**spec)  # same seed, same sequence
    assert _statuses(zoho, 40) == first
    assert {200, 429, 500} == set(first)
    assert 5 <= first.count(429) <= 20 and 2 <= first.count(500) <= 16
    faulty.faults(**{**spec, "seed": 6})
    assert _statuses(zoho, 40) != first


def test_injected_429_uses_code_44(zoho: Zoho, faulty: SandboxProcess) -> None:
    faulty.faults(errors=[{"status": 429, "rate": 1.0}])
    resp = zoho.get("/books/v3/invoices")
    assert_zoho_error(resp, 429, 44)
    assert_rate_headers(resp)
    faulty.faults(clear=True)
    assert set(_statuses(zoho, 5)) == {200}
    faulty.faults(errors=[{"status": 503, "rate": 1.0}])
    assert zoho.get("/books/v3/invoices").status_code == 503
    faulty.faults(errors=[])
    assert zoho.get("/books/v3/invoices").status_code == 200


def test_latency(zoho: Zoho, faulty: SandboxProcess) -> None:
    faulty.faults(latency_ms=250)
    started = time.monotonic()
    assert zoho.get("/books/v3/items").status_code == 200
    assert time.monotonic() - started >= 0.25
    faulty.faults()  # an empty body turns everything off
    started = time.monotonic()
    zoho.get("/books/v3/items")
    assert time.monotonic() - started < 0.25


def test_duplicate_across_pages(zoho: Zoho, faulty: SandboxProcess) -> None:
    clean = zoho.list_all("/books/v3/invoices", "invoices", per_page=25)
    faulty.faults(duplicate_across_pages=True)
    pages = []
    page = 1
    while True:
        body = zoho.ok("/books/v3/invoices", per_page=25, page=page)
        pages.append([r["invoice_id"] for r in body["invoices"]])
        if not body["page_context"]["has_more_page"]:
            break
        page += 1
    for prev, nxt in zip(pages, pages[1:], strict=False):
        assert prev[-1] == nxt[0]  # consecutive pages overlap by exactly one record
        assert not set(prev[:-1]) & set(nxt)
    seen = [rid for p in pages for rid in p]
    assert len(seen) == 120 + len(pages) - 1
    assert set(seen) == {r["invoice_id"] for r in clean}  # nothing lost


def test_bad_fault_spec_is_refused(faulty: SandboxProcess) -> None:
    resp = faulty._client.post("/_sandbox/faults", json={"errors": [{"status": 200, "rate": 2}]})
    assert resp.status_code == 400
    assert faulty.stats()["faults"]["errors"] == []
