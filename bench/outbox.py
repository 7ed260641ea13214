"""12. The orders outbox, exactly once: 1,000 orders through faults and a killed push.

PostgreSQL, the sandbox as Zoho with its webhooks signed to `python -m tsh_webhooks`, a
webhook applier (the queue's claim/take/settle and `apply_event`, as the worker runs them)
and Zoho activity (an item edit every 100 ms) all the while. Orders are inserted into
`tds_outbox` as TSH's systems would (70 % consumer orders, 30 % POS sales, 20 % by customers
the replica does not know) at `--rate` a second; one push process (`drain`, what
`push_outbox_job` runs) sends them while the sandbox injects 429s and 503s on every call
(`--faults` each) and saves-then-fails `--ambiguous` of the writes; the push is killed
(SIGKILL) once, mid-run, and started again.

Checked: Zoho ends with exactly one document per order (and one payment per POS sale), none
lost, none doubled. Measured: Zoho calls per order, commit-to-Zoho-id p50/p95, webhook
events applied meanwhile. Peer, same faults in the same run: TSH's current integration (POST
from the request, retried on failure, no reference number) on `--peer` orders.

    python -m bench.outbox [--orders 1000 --rate 25 --ambiguous 0.1 --faults 0.03]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.common import (
    ROOMY,
    ROOT,
    note,
    percentile,
    save,
    settings_for,
    setup_logging,
    table,
    temp_database,
    title,
)
from bench.loadgen import service
from tsh_db.engine import get_engine
from tsh_db.schema import consumer_catalog, customers, tds_outbox, tds_sync_queue
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.outbox import store
from tsh_pipelines.outbox.validation import validate
from tsh_pipelines.outbox.worker import drain
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.queue import claim_batch, claimed, settle, take
from tsh_pipelines.sync.replicate import sync_entity
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import SYNC, WEBHOOK, ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.outbox")
SECRET = "bench-outbox-secret-26"
RPM = 6000  # the sandbox's and the client's Books limit: the run measures the push, not Zoho's pace
FAST = {"backoff_base_seconds": 0.05, "backoff_max_seconds": 0.5, "max_attempts": 3}


def client(sandbox_url: str, engine: Any, purpose: str = SYNC) -> ZohoClient:
    sb = argparse.Namespace(url=sandbox_url)
    s = settings_for(sb, **{**ROOMY, "books_rpm": RPM, **FAST})  # type: ignore[arg-type]
    return ZohoClient(s, engine, purpose=purpose)


def worker(db_url: str, sandbox_url: str) -> None:
    """The push process (killed once by the benchmark)."""
    engine = get_engine(db_url)
    with client(sandbox_url, engine) as c:
        drain(c, engine, log, seconds=3600, idle_seconds=8, poll_seconds=0.05)


def start_worker(db_url: str, sandbox_url: str) -> subprocess.Popen:
    code = f"from bench.outbox import worker; worker({db_url!r}, {sandbox_url!r})"
    env = {**os.environ, "TSH_OUTBOX_LEASE_SECONDS": "10", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def apply_webhooks(engine: Any, sandbox_url: str, stop: threading.Event) -> None:
    """The webhook worker's loop, without Dagster: claim, take, apply, settle."""
    with client(sandbox_url, engine, purpose=WEBHOOK) as c:
        while not stop.is_set():
            batch = claim_batch(engine, 50)
            if batch is None:
                time.sleep(0.05)
                continue
            for row in claimed(engine, batch.claim_id):
                taken = take(engine, row)
                if taken is None:
                    continue
                try:
                    apply_event(
                        c,
                        engine,
                        taken["entity_type"],
                        taken["zoho_entity_id"],
                        taken["event_type"],
                        taken["raw_payload"],
                        taken["queued_at"],
                    )
                    settle(engine, taken, None)
                except Exception as exc:  # noqa: BLE001 (settled on the row, as the worker)
                    settle(engine, taken, f"{type(exc).__name__}: {exc}")


def zoho_activity(sandbox: SandboxProcess, stop: threading.Event) -> None:
    while not stop.is_set():
        sandbox.mutate("items", "update", count=1)
        time.sleep(0.1)


def orders(engine: Any, n: int, seed: int = 26) -> list[dict]:
    rng = random.Random(seed)
    with engine.connect() as conn:
        known = list(
            conn.execute(
                select(customers.c.email).where(
                    customers.c.email.is_not(None), customers.c.contact_type == "customer"
                )
            ).scalars()
        )
        items = list(conn.execute(select(consumer_catalog.c.product_zoho_id)).scalars())
    out = []
    for i in range(n):
        email = f"buyer{i}@bench.example" if rng.random() < 0.2 else rng.choice(known)
        lines = [
            {"product_id": p, "quantity": rng.randint(1, 3)}
            for p in rng.sample(items, rng.randint(1, 3))
        ]
        kind = "pos_sale" if rng.random() < 0.3 else "consumer_order"
        out.append({"kind": kind, "external_id": f"B-{i}", "customer": {"email": email},
                    "items": lines, "payment_mode": "cash"})  # fmt: skip
    return out


def replicate(sandbox: SandboxProcess, engine: Any) -> None:
    with client(sandbox.url, engine) as c:
        sync_products(c, engine, log=log)
        sync_stock(c, engine, log=log)
        sync_price_lists(c, engine, log=log)
        sync_entity(c, engine, BY_NAME["customers"], log=log)


def verify(sandbox: SandboxProcess, engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = list(conn.execute(select(tds_outbox)).mappings())
    refs: Counter[str] = Counter()
    for entity in ("salesorders", "invoices"):
        refs.update(r["reference_number"] for r in sandbox.records(entity)
                    if str(r.get("reference_number", "")).startswith(store.PREFIX))  # fmt: skip
    payments = Counter(
        r["reference_number"]
        for r in sandbox.records("customerpayments")
        if str(r.get("reference_number", "")).startswith(store.PREFIX)
    )
    mine = {store.reference(r["id"]) for r in rows}
    pos = {store.reference(r["id"]) for r in rows if r["kind"] == "pos_sale"}
    return {
        "documents": sum(refs[m] for m in mine), "duplicates": sum(v - 1 for v in refs.values()
                                                                   if v > 1),
        "lost": sum(1 for m in mine if refs[m] == 0),
        "payments": sum(payments[p] for p in pos), "payment_duplicates":
            sum(v - 1 for v in payments.values() if v > 1),
        "lost_payments": sum(1 for p in pos if payments[p] == 0),
        "statuses": dict(Counter(r["status"] for r in rows)),
    }  # fmt: skip


def figures(engine: Any, t0: float, t1: float) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = list(conn.execute(select(tds_outbox)).mappings())
        applied = conn.scalar(select(func.count()).select_from(tds_sync_queue)
                              .where(tds_sync_queue.c.status == "completed"))  # fmt: skip
    waits = [(r["synced_at"] - r["created_at"]).total_seconds() for r in rows if r["synced_at"]]
    calls = Counter()
    count = Counter()
    for r in rows:
        key = r["kind"] + (" (new customer)" if r["payload"]["customer"]["email"]
                           .endswith("@bench.example") else "")  # fmt: skip
        calls[key] += r["zoho_calls"]
        count[key] += 1
    return {
        "orders": len(rows), "calls_per_order": round(sum(calls.values()) / len(rows), 3),
        "calls_by_kind": {k: round(calls[k] / count[k], 3) for k in sorted(count)},
        "p50_s": round(percentile(waits, 50), 2), "p95_s": round(percentile(waits, 95), 2),
        "max_s": round(max(waits), 2), "webhook_events_applied": applied,
        "push_seconds": round(t1 - t0, 1),
    }  # fmt: skip


def peer(sandbox: SandboxProcess, payloads: list[dict], customer_ids: dict[str, str]) -> dict:
    """TSH's current integration: POST from the request, retried on failure, no reference."""
    made = failed = 0
    token = httpx.post(
        f"{sandbox.url}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "refresh_token": "sandbox-refresh-token",
        },
    ).json()
    headers = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
    before = len(sandbox.records("salesorders"))
    for p in payloads:
        lines = [{"item_id": x["product_id"], "quantity": x["quantity"]} for x in p["items"]]
        body = {"customer_id": customer_ids[p["customer"]["email"]], "line_items": lines}
        for _ in range(3):
            r = httpx.post(f"{sandbox.url}/books/v3/salesorders", json=body, headers=headers,
                           params={"organization_id": "10234695"})  # fmt: skip
            if r.status_code == 201:
                made += 1
                break
        else:
            failed += 1
    saved = len(sandbox.records("salesorders")) - before
    return {"orders": len(payloads), "documents": saved, "duplicates": saved - made, "lost": failed}


def run(args: argparse.Namespace) -> dict[str, Any]:
    with temp_database("outbox") as url, service(
        "outbox_receiver", ["-m", "tsh_webhooks"],
        {"DATABASE_URL": url, "ZOHO_WEBHOOK_SECRETS": SECRET, "TSH_ORDERS_TOKEN": "x"},
    ) as receiver, SandboxProcess(
        seed=42, items=300, customers=150, invoices=200, bills=20, creditnotes=10,
        salesorders=50, books_rpm=RPM, inventory_rpm=RPM, daily_limit=10**7,
        webhook_url=f"{receiver}/api/zoho/webhooks", webhook_secret=SECRET,
    ) as sandbox:  # fmt: skip
        engine = get_engine(url)
        replicate(sandbox, engine)
        payloads = orders(engine, args.orders)
        with engine.connect() as conn:
            ids = dict(conn.execute(select(customers.c.email, customers.c.zoho_id)).all())
        sandbox.faults(errors=[{"status": 429, "rate": args.faults},
                               {"status": 503, "rate": args.faults}], seed=7)  # fmt: skip
        sandbox.chaos(rate=0, ambiguous_writes=args.ambiguous, seed=3)
        known = [p for p in payloads if p["customer"]["email"] in ids][: args.peer]
        peer_result = peer(sandbox, known, ids)
        stop = threading.Event()
        helpers = [threading.Thread(target=apply_webhooks, args=(engine, sandbox.url, stop)),
                   threading.Thread(target=zoho_activity, args=(sandbox, stop))]  # fmt: skip
        for t in helpers:
            t.start()
        t0 = time.monotonic()
        push = start_worker(url, sandbox.url)
        killed = False
        for n, p in enumerate(payloads):
            with engine.connect() as conn:
                order = validate(conn, p)
            store.insert(engine, order, p)
            if n == len(payloads) // 2 and not killed:
                push.send_signal(signal.SIGKILL)  # mid-run, whatever it was doing
                push.wait()
                killed = True
                push = start_worker(url, sandbox.url)
            time.sleep(1 / args.rate)
        while store.due_count(engine) or _processing(engine):
            time.sleep(0.5)
        t1 = time.monotonic()
        push.terminate()
        push.wait()
        stop.set()
        for t in helpers:
            t.join()
        sandbox.chaos()
        sandbox.faults()
        return {"exactly_once": verify(sandbox, engine), **figures(engine, t0, t1),
                "killed_once": killed, "peer": peer_result,
                "sandbox_ambiguous": sandbox.stats()["chaos"]["ambiguous_failed"],
                "settings": vars(args)}  # fmt: skip


def _processing(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(tds_outbox)
                               .where(tds_outbox.c.status == "processing")) or 0)  # fmt: skip


def main() -> None:
    setup_logging()
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0, help="orders inserted a second")
    parser.add_argument("--ambiguous", type=float, default=0.1)
    parser.add_argument("--faults", type=float, default=0.03, help="429 and 503 each")
    parser.add_argument("--peer", type=int, default=200)
    args = parser.parse_args()
    title(
        f"12. Orders outbox: {args.orders} orders, {args.ambiguous:.0%} ambiguous writes, "
        f"{args.faults:.0%} 429 + {args.faults:.0%} 503, push killed once"
    )
    result = run(args)
    once = result["exactly_once"]
    table(["", "outbox", "current integration (peer)"], [
        ["orders", result["orders"], result["peer"]["orders"]],
        ["documents in Zoho", once["documents"], result["peer"]["documents"]],
        ["duplicates", once["duplicates"], result["peer"]["duplicates"]],
        ["lost", once["lost"], result["peer"]["lost"]],
    ])  # fmt: skip
    note(
        f"payments: {once['payments']} for the POS sales, {once['payment_duplicates']} "
        f"doubled, {once['lost_payments']} missing; rows {once['statuses']}"
    )
    note(f"Zoho calls per order {result['calls_per_order']}: {result['calls_by_kind']}")
    note(
        f"commit to Zoho id: p50 {result['p50_s']} s, p95 {result['p95_s']} s, max "
        f"{result['max_s']} s; {result['webhook_events_applied']} webhook events applied "
        f"meanwhile; {result['sandbox_ambiguous']} writes saved then failed"
    )
    save("outbox", result)


if __name__ == "__main__":
    main()
