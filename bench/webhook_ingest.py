"""4. Webhook ingest: signed deliveries on loopback at a fixed concurrency, with wrk.

The receiver (`python -m tsh_webhooks`, as deployed: one uvicorn process, INFO logs) gets
`products` deliveries as Zoho sends them (`?event=edited&route=products`, signed over the
sorted query parameters and the JSON body), every body different (a new name and
last_modified_time), so none is short-circuited as a duplicate: each one verifies the HMAC,
inserts the inbox row and the queue row, commits, and answers 202. Baseline in the same run:
a bare FastAPI endpoint (bench/bare_receiver.py) that parses the body and does one INSERT
into the same table of the same database. Bodies are signed beforehand; wrk replays them.

Both run in alternating rounds (receiver first, then baseline first, ...) and the ratio is
the median over the rounds, so load that drifts over the run hits both alike.

    python -m bench.webhook_ingest [--connections 32 --seconds 15 --rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import time
from collections.abc import Iterator

from sqlalchemy import text

from bench.common import note, save, setup_logging, table, temp_database, title
from bench.loadgen import Load, Req, run_wrk, service, wrk_available
from tsh_db.engine import get_engine

SECRET = "bench-webhook-secret-5f2a"
QUERY = {"event": "edited", "route": "products"}
PATH = "/api/zoho/webhooks/products?" + "&".join(f"{k}={v}" for k, v in QUERY.items())
# Zoho's signed string starts with the sorted query parameters, each key then its value.
SIGNED_QUERY = "".join(k + v for k, v in sorted(QUERY.items())).encode()
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
        signed = SIGNED_QUERY + body.encode()
        sig = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
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


ENDPOINTS = {
    "receiver": ("tsh_webhooks receiver", "tsh_webhooks", ["-m", "tsh_webhooks"]),
    "bare": ("bare FastAPI insert (baseline)", "bare_receiver", ["-m", "bench.bare_receiver"]),
}


def run_rounds(url: str, a: argparse.Namespace) -> list[dict[str, dict]]:
    """Both endpoints per round, first one then the other, the order swapped every round:
    other load on the machine drifts over a run and must hit both alike."""
    rounds = []
    for n in range(a.rounds):
        order = ("receiver", "bare") if n % 2 == 0 else ("bare", "receiver")
        done = {}
        for key in order:
            _, name, args = ENDPOINTS[key]
            done[key] = measure(name, args, url, f"{key}-{n}", a)
        rounds.append(done)
    return rounds


def report(rounds: list[dict[str, dict]], a: argparse.Namespace) -> None:
    rows = []
    for n, done in enumerate(rounds, 1):
        for key, (label, _, _) in ENDPOINTS.items():
            r, load = done[key], done[key]["load"]
            rows.append([n, label, load.rps, load.p50_ms, load.p99_ms, load.requests,
                         load.errors, r["stored"], r["queued"]])  # fmt: skip
    table(["round", "endpoint", "req/s", "p50 ms", "p99 ms", "requests", "errors",
           "inbox rows", "queue rows"], rows)  # fmt: skip
    ratios = [d["receiver"]["load"].rps / d["bare"]["load"].rps for d in rounds]
    median = {k: statistics.median(d[k]["load"].rps for d in rounds) for k in ENDPOINTS}
    note(f"median req/s: receiver {median['receiver']:.0f}, bare insert {median['bare']:.0f}")
    note(
        "receiver throughput is "
        + ", ".join(f"{r:.0%}" for r in ratios)
        + f" of the bare insert by round; median {statistics.median(ratios):.0%}"
    )
    save(
        "webhook_ingest",
        {
            "connections": a.connections,
            "seconds": a.seconds,
            "median_ratio": statistics.median(ratios),
            "rounds": [
                {
                    k: {
                        **vars(r["load"]),
                        "rps": r["load"].rps,
                        "stored": r["stored"],
                        "queued": r["queued"],
                    }
                    for k, r in done.items()
                }
                for done in rounds
            ],  # fmt: skip
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3, help="receiver and baseline, each")
    parser.add_argument("--bodies", type=int, default=40_000, help="distinct signed bodies")
    a = parser.parse_args()
    setup_logging()
    title(
        f"4. Webhook ingest: signed deliveries, wrk with {a.connections} connections for "
        f"{a.seconds:g} s, {a.rounds} rounds, PostgreSQL"
    )
    if not wrk_available():
        note("SKIPPED: wrk is not installed (make bench installs it with apt-get)")
        return
    with temp_database("webhooks") as url:
        rounds = run_rounds(url, a)
    report(rounds, a)


if __name__ == "__main__":
    main()
