"""4. Webhook ingest: signed deliveries on loopback at a fixed concurrency, with wrk.

The receiver (`python -m tsh_webhooks`, as deployed: one uvicorn process, INFO logs) gets
signed `products` deliveries, every body different (a new name and last_modified_time), so
none is short-circuited as a duplicate: each one verifies the HMAC, inserts the inbox row
and the queue row, commits, and answers 202. Baseline in the same run: a bare FastAPI
endpoint (bench/bare_receiver.py) that parses the body and does one INSERT into the same
table of the same database. Bodies are signed beforehand; wrk replays them.

    python -m bench.webhook_ingest [--connections 32 --seconds 15]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

from sqlalchemy import text

from bench.common import note, save, setup_logging, table, temp_database, title
from bench.loadgen import Load, Req, run_wrk, service, wrk_available
from tsh_db.engine import get_engine

SECRET = "bench-webhook-secret-5f2a"
PATH = "/api/zoho/webhooks/products?event=edited"
ITEM = {  # the shape and size (about 1 KB) of a Zoho item webhook payload
    "name": "Haier Window AC 2 Ton RT721 Red",
    "sku": "TSH-00001",
    "status": "active",
    "unit": "pcs",
    "description": "Window AC 2 Ton by Haier",
    "rate": 830250.0,
    "purchase_rate": 523600.0,
    "product_type": "goods",
    "item_type": "inventory",
    "is_taxable": True,
    "tax_percentage": 0,
    "category_id": "5400116000000000002",
    "category_name": "Air Conditioners",
    "brand": "Haier",
    "manufacturer": "Haier",
    "account_id": "5400114000000000001",
    "account_name": "Sales",
    "reorder_level": 5.0,
    "ean": "6250097142081",
    "image_name": "TSH-00001.jpg",
    "custom_field_hash": {"cf_image_url": "https://images.tsh-iq.example/items/TSH-00001.jpg"},
    "created_time": "2025-03-20T09:59:14+0300",
}


def deliveries(label: str, count: int) -> Iterator[Req]:
    for n in range(count):
        record = {
            "item_id": str(5400101000000000000 + n % 100_000),
            **ITEM,
            "name": f"{ITEM['name']} {label}-{n}",
            "last_modified_time": f"2026-07-{1 + n % 28:02d}T10:{n // 60 % 60:02d}:"
            f"{n % 60:02d}+0300",
        }
        body = json.dumps({"item": record}, separators=(",", ":"))
        sig = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        yield Req("POST", PATH, body, sig)


def counts(url: str) -> tuple[int, int]:
    """(inbox rows, queue rows) from one snapshot, once the last commits have landed."""
    sql = text(
        "SELECT (SELECT count(*) FROM tds_inbox_events), (SELECT count(*) FROM tds_sync_queue)"
    )
    last = (-1, -1)
    with get_engine(url).connect() as conn:
        for _ in range(100):  # requests wrk left in flight are still committing
            inbox, queue = conn.execute(sql).one()
            conn.rollback()
            now = (int(inbox), int(queue))
            if now == last:
                break
            last = now
            time.sleep(0.3)
    return last


def measure(name: str, args: list[str], url: str, label: str, a: argparse.Namespace) -> dict:
    env = {"DATABASE_URL": url, "ZOHO_WEBHOOK_SECRETS": SECRET, "ADMIN_API_TOKEN": "bench"}
    with get_engine(url).begin() as conn:
        conn.execute(text("TRUNCATE tds_sync_queue, tds_inbox_events RESTART IDENTITY CASCADE"))
    with service(name, args, env) as base:
        run_wrk(
            base + PATH, deliveries(f"{label}-warm", 5000), connections=a.connections, seconds=3
        )
        before = counts(url)
        load: Load = run_wrk(
            base + PATH, deliveries(label, a.bodies), connections=a.connections, seconds=a.seconds
        )
        after = counts(url)
    stored = after[0] - before[0]
    return {"load": load, "stored": stored, "queued": after[1] - before[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--bodies", type=int, default=40_000, help="distinct signed bodies")
    a = parser.parse_args()
    setup_logging()
    title(
        f"4. Webhook ingest: signed deliveries, wrk with {a.connections} connections for "
        f"{a.seconds:g} s, PostgreSQL"
    )
    if not wrk_available():
        note("SKIPPED: wrk is not installed (make bench installs it with apt-get)")
        return
    with temp_database("webhooks") as url:
        ours = measure("tsh_webhooks", ["-m", "tsh_webhooks"], url, "tsh", a)
        bare = measure("bare_receiver", ["-m", "bench.bare_receiver"], url, "bare", a)
    rows = []
    for label, r in (("tsh_webhooks receiver", ours), ("bare FastAPI insert (baseline)", bare)):
        load = r["load"]
        rows.append(
            [label, load.rps, load.p50_ms, load.p99_ms, load.requests, load.errors, r["stored"]]
        )
    table(["endpoint", "req/s", "p50 ms", "p99 ms", "requests", "errors", "rows stored"], rows)
    note(
        f"receiver: {ours['queued']:,} queue rows for {ours['stored']:,} inbox rows "
        "(every delivery distinct, none deduplicated)"
    )
    note(f"receiver throughput is {ours['load'].rps / bare['load'].rps:.0%} of the bare insert")
    save(
        "webhook_ingest",
        {
            "connections": a.connections,
            "seconds": a.seconds,
            **{
                k: {
                    **vars(r["load"]),
                    "rps": r["load"].rps,
                    "stored": r["stored"],
                    "queued": r["queued"],
                }
                for k, r in (("receiver", ours), ("bare", bare))
            },
        },
    )


if __name__ == "__main__":
    main()
