"""Draining the outbox: claim a due row, push it, settle it by what happened.

- pushed, or cancelled: `synced` / `cancelled`;
- Zoho unavailable (5xx or no answer on a read, 429 after the client's waits, code 45, our
  daily budget spent), an unanswered write, a token problem: back to `pending` for later,
  no attempt spent;
- Zoho refused it (a 4xx with its code and message) or it fails validation: `failed`, shown
  by the ops API and alerted, replayed by hand once fixed;
- anything else: back to `pending` with the attempt spent, `failed` after the maximum.

Free of Dagster: the job (`job.py`) and the benchmark run it alike.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from tsh_db.types import utcnow
from tsh_pipelines.alerts import send_alerts
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.push import Defer, Push
from tsh_pipelines.outbox.validation import OrderRejected
from tsh_pipelines.zoho import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoBudgetExhausted,
    ZohoClient,
    ZohoDailyLimitError,
)

Log = logging.Logger | logging.LoggerAdapter


def push_one(client: ZohoClient, engine: Engine, row: Mapping[str, Any], log: Log) -> str:
    """Push one claimed row and settle it; the outcome (a status, `deferred` or `lost`)."""
    calls = client.stats.total
    spent = lambda: client.stats.total - calls  # noqa: E731
    try:
        outcome = Push(client, engine, row, log).run()
    except store.LostClaim as exc:
        log.warning("%s", exc)
        return "lost"
    except OrderRejected as exc:
        _fail(engine, row, spent(), None, str(exc), log)
        return store.FAILED
    except Exception as exc:  # every failure is settled on the row, never lost
        return _failure(engine, row, spent(), exc, log)
    store.settle(engine, row, outcome, spent())
    return outcome


def _failure(engine: Engine, row: Mapping[str, Any], calls: int, exc: Exception, log: Log) -> str:
    error = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, Defer) or _unavailable(exc):
        until = getattr(exc, "resets_at", None)
        wait = getattr(exc, "wait", None)
        if wait is not None:
            until = utcnow() + wait
        waited = store.defer(engine, row, calls, error, until)
        log.warning("outbox %s deferred by %s, no attempt spent: %s", row["id"], waited, error)
        return "deferred"
    if isinstance(exc, ZohoAPIError) and 400 <= exc.status < 500:
        _fail(engine, row, calls, exc.code, f"Zoho refused it: {exc.message}", log)
        return store.FAILED
    if row["attempts"] >= store.MAX_ATTEMPTS:
        _fail(engine, row, calls, None, error, log)
        return store.FAILED
    store.defer(engine, row, calls, error, spend=True)
    log.exception("outbox %s: %s (attempt %d spent)", row["id"], error, row["attempts"])
    return "retry"


def _unavailable(exc: BaseException) -> bool:
    """Zoho cannot serve us now (or our budget is spent): not the order's fault."""
    if isinstance(exc, ZohoDailyLimitError | ZohoBudgetExhausted | ZohoAuthError):
        return True
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ZohoAPIError) and (exc.status >= 500 or exc.status in (0, 429, 401))


def _fail(engine: Engine, row: Mapping[str, Any], calls: int, code: int | None, message: str,
          log: Log) -> None:  # fmt: skip
    if not store.settle(engine, row, store.FAILED, calls, error_code=code,
                        error_message=message[:2000]):  # fmt: skip
        return
    ref = store.reference(int(row["id"]))
    summary = (f"order {ref} ({row['kind']}) failed: code {code}: {message}. Fix it (in Zoho, "
               f"or the row's payload), then replay it: POST /api/tds/outbox/replay "
               f'{{"ids": [{row["id"]}]}}')  # fmt: skip
    log.error("%s", summary)
    report = {"status": "warning", "timestamp": utcnow().isoformat(timespec="seconds"),
              "discrepancies": [{"severity": "error", "summary": summary}]}  # fmt: skip
    send_alerts(report, None, log)


def drain(
    client: ZohoClient, engine: Engine, log: Log, seconds: float, idle_seconds: float,
    poll_seconds: float = 0.25,
) -> Counter[str]:  # fmt: skip
    """Push due rows until `seconds` pass or none came for `idle_seconds`; outcomes."""
    outcomes: Counter[str] = Counter()
    start = last = time.monotonic()
    while time.monotonic() - start < seconds:
        row = store.claim(engine)
        if row is None:
            if time.monotonic() - last >= idle_seconds:
                break
            time.sleep(poll_seconds)
            continue
        outcomes[push_one(client, engine, row, log)] += 1
        last = time.monotonic()
    return outcomes
