"""Rate limits, budget, tokens and faults: the client must hold Zoho's limits for the org.

Zoho counts calls per minute; these sandboxes count per `rate_window` seconds instead and the
client is told the same window, so a minute's worth of behaviour fits in a few seconds.
"""

from __future__ import annotations

import multiprocessing
import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tsh_db.engine import get_engine
from tsh_db.schema import zoho_token_refresh_log
from tsh_pipelines.zoho import BOOKS, WEBHOOK, ZohoAuthError, ZohoBudgetExhausted, ZohoClient
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

WINDOW = 2.0


def refresh_log(engine: Engine) -> list[tuple[str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                zoho_token_refresh_log.c.refresh_type, zoho_token_refresh_log.c.success
            ).order_by(zoho_token_refresh_log.c.id)
        )
        return [tuple(r) for r in rows]


def test_listing_survives_429s_and_5xx_without_losing_a_page(engine: Engine) -> None:
    with SandboxProcess(seed=3, items=5000, books_rpm=40, rate_window=WINDOW) as sb:
        sb.faults(errors=[{"status": 429, "rate": 0.3}, {"status": 500, "rate": 0.1}], seed=11)
        settings = settings_for(sb, books_rpm=40, rate_window_seconds=WINDOW)
        with ZohoClient(settings, engine) as client:
            pages = list(client.pages(BOOKS, "items", "items", "item_id"))
        ids = [r["item_id"] for p in pages for r in p]
        truth = active_books_items(sb)
        stats = sb.stats()
    assert len(ids) == len(set(ids)) == truth
    seen = statuses_from(stats)
    assert seen.get("429", 0) > 0 and seen.get("500", 0) > 0  # the faults really happened
    assert client.stats.retries["rate_limited"] > 0 and client.stats.retries["server_error"] > 0
    assert stats["peak_calls_per_minute"]["books"] <= 40


def active_books_items(sb: SandboxProcess) -> int:
    return sum(
        1 for r in sb.records("items") if r.get("source") == "books" and r["status"] == "active"
    )


def statuses_from(stats: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for by_status in stats["calls"].get("books", {}).values():
        for status, n in by_status.items():
            out[status] = out.get(status, 0) + n
    return out


def test_token_expiring_mid_listing_is_refreshed_once(engine: Engine) -> None:
    with SandboxProcess(seed=3, items=600, token_ttl=2) as sb:
        settings = settings_for(sb, token_refresh_margin_seconds=0.5)
        with ZohoClient(settings, engine) as client:
            pages = client.pages(BOOKS, "items", "items", "item_id")
            first = next(pages)
            time.sleep(2.0)  # the token ages past its refresh point mid-listing
            rest = [r for p in pages for r in p]
        stats = sb.stats()
        truth = active_books_items(sb)
    assert len(first) + len(rest) == truth
    assert stats["tokens_issued"] == 2
    assert "401" not in statuses_from(stats)  # refreshed before expiry, not after a failure
    assert refresh_log(engine) == [("auto", True), ("auto", True)]


def test_revoked_token_forces_exactly_one_refresh(engine: Engine, fresh_sandbox) -> None:
    with ZohoClient(settings_for(fresh_sandbox), engine) as client:
        client.get(BOOKS, "contacts")
        fresh_sandbox.faults(revoke_tokens=True)
        body = client.get(BOOKS, "contacts")
    assert body["code"] == 0
    assert fresh_sandbox.stats()["tokens_issued"] == 2
    assert refresh_log(engine) == [("auto", True), ("forced", True)]


def test_revoked_refresh_token_is_fatal_without_a_retry_storm(
    engine: Engine, fresh_sandbox
) -> None:
    fresh_sandbox.faults(revoke_refresh_token=True)
    for _ in range(3):  # three runs in a row: only the first one asks Zoho
        with (
            ZohoClient(settings_for(fresh_sandbox), engine) as client,
            pytest.raises(ZohoAuthError) as err,
        ):
            client.get(BOOKS, "items")
    assert "ZOHO_REFRESH_TOKEN" in str(err.value) and "invalid_code" in str(err.value)
    assert fresh_sandbox.stats()["token_requests"] == 1
    assert refresh_log(engine) == [("auto", False)]


def _list_items(db_url: str, sandbox_url: str, queue: multiprocessing.Queue) -> None:
    from tests.zoho_client.conftest import settings_for

    class _SB:
        url = sandbox_url

    settings = settings_for(_SB(), books_rpm=10, rate_window_seconds=WINDOW)  # type: ignore[arg-type]
    with ZohoClient(settings, get_engine(db_url)) as client:
        n = sum(len(p) for p in client.pages(BOOKS, "items", "items", "item_id"))
    queue.put(n)


def test_five_processes_share_one_token_and_one_limit(db_url: str, engine: Engine) -> None:
    with SandboxProcess(seed=5, items=1000, books_rpm=10, rate_window=WINDOW) as sb:
        expected = active_books_items(sb)
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        procs = [ctx.Process(target=_list_items, args=(db_url, sb.url, queue)) for _ in range(5)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        results = [queue.get(timeout=5) for _ in procs]
        stats = sb.stats()
    assert results == [expected] * 5
    assert stats["token_requests"] == 1
    assert stats["peak_calls_per_minute"]["books"] <= 10
    assert "429" not in statuses_from(stats)
    assert sum(statuses_from(stats).values()) == 5 * -(-expected // 200)


def test_daily_budget_stops_a_sync_before_zoho_does(engine: Engine) -> None:
    with SandboxProcess(seed=3, items=3000, daily_limit=20) as sb:
        settings = settings_for(sb, books_daily_limit=20, webhook_reserve=0.5)
        with ZohoClient(settings, engine) as client, pytest.raises(ZohoBudgetExhausted) as err:
            for _page in client.pages(BOOKS, "items", "items", "item_id"):
                pass
        assert "webhook" in str(err.value) and "ZOHO_BOOKS_DAILY_LIMIT" in str(err.value)
        assert statuses_from(sb.stats()) == {"200": 10}
        # the reserved half still serves webhook processing
        with ZohoClient(settings, engine, purpose=WEBHOOK) as hooks:
            assert hooks.get(BOOKS, "items")["code"] == 0
        assert statuses_from(sb.stats()) == {"200": 11}


def test_token_throttle_is_waited_out_not_hammered(engine: Engine) -> None:
    with SandboxProcess(seed=3, items=50, token_lockout=2) as sb:
        for _ in range(11):  # someone else used up the ten token requests of the window
            httpx.post(f"{sb.url}/oauth/v2/token", data={
                "grant_type": "refresh_token", **{k: v for k, v in DEMO_CREDENTIALS.items()
                                                  if k != "organization_id"}})  # fmt: skip
        settings = settings_for(sb, token_throttle_wait_seconds=2.5)
        with ZohoClient(settings, engine) as client:
            assert client.get(BOOKS, "contacts")["code"] == 0
        requests = sb.stats()["token_requests"]
    assert requests == 13  # the 11 above, one refused for us, one after waiting: no storm
    log = refresh_log(engine)
    assert log == [("auto", False), ("auto", True)]
