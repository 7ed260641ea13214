"""Soak: 10,000 webhook events and chaos for minutes, then count what the replica got wrong.

    python -m bench.soak [--events 10000] [--rate 0.1] [--seed 5]

PostgreSQL. The sandbox (2,000 items, 5,000 invoices, ...) delivers signed webhooks to a real
receiver process, repeated (20 %) and reordered (up to 1 s); the convergence harness runs
syncs of every mode and the webhook apply job (sensor tick → `apply_webhook_events_job`
runs) concurrently, while chaos edits, deletes and creates records between the pages they
read and a steady stream of edits produces the events. Zoho's clock runs 90 s ahead of ours,
stock moves leave items' last_modified_time alone, and the churn's corner round adds
same-second edits, stock A -> B -> A and month-limited full refreshes (issue 22). When the
sandbox has sent the events,
chaos stops and the documented cadence runs; the replica is then compared with the sandbox
record by record. Goal: 0 lost, 0 resurrected, 0 stale, 0 duplicated.
"""

from __future__ import annotations

import argparse
import logging
import os

# Batches of 200 events a run (50 in production): the soak drains its backlog in minutes.
os.environ.setdefault("TSH_WEBHOOK_BATCH_SIZE", "200")
import random
import tempfile
import time
from pathlib import Path

from bench.common import engine_for, note, save, setup_logging, table, temp_database, title
from tests.convergence.compare import compare
from tests.convergence.harness import CHAOS_ENTITIES, Churn, live_world, open_events, settle
from tsh_pipelines.sync import queue

SIZES = {"items": 2000, "customers": 400, "vendors": 40, "invoices": 5000, "bills": 500,
         "creditnotes": 200, "salesorders": 200, "inventory_only_items": 20}  # fmt: skip
EDITED = [e for e in CHAOS_ENTITIES if e != "pricebooks"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=0.1, help="chaos mutations per Zoho call")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument(
        "--clock-skew", type=float, default=90.0, help="Zoho's clock ahead of ours, seconds"
    )
    args = parser.parse_args()
    setup_logging()
    logging.getLogger("dagster").setLevel(logging.WARNING)  # a run per batch: thousands of lines
    queue.RETRY_BASE_SECONDS = 1.0  # a failed event retries within the soak, not in 30 s
    rng = random.Random(args.seed)
    with temp_database("soak") as url, tempfile.TemporaryDirectory() as logs:
        engine = engine_for(url)
        with live_world(url, Path(logs), args.seed, **SIZES, webhook_repeat_rate=0.2,
                        webhook_reorder_ms=1000, webhook_seed=args.seed,
                        clock_skew=args.clock_skew,
                        stock_moves_bump_modified=False) as sandbox:  # fmt: skip
            churn = Churn(sandbox, engine, url, args.seed)
            churn.start(args.rate)
            started = time.monotonic()
            while time.monotonic() - started < args.max_seconds:
                hooks = sandbox.stats()["webhooks"]
                if hooks["delivered"] + hooks["pending"] >= args.events:
                    break
                entity = rng.choice(EDITED)
                action = "update" if entity == "stock" else rng.choice(["update"] * 8 + ["create"])
                sandbox.mutate(entity, action, count=rng.randint(5, 40))
                time.sleep(0.05)
            churned = time.monotonic() - started
            churn.stop()
            stats = sandbox.stats()
            converge = settle(sandbox, engine, url, timeout=600)
            divergence = compare(sandbox, engine)
            left = open_events(engine)
    totals = divergence.totals()
    chaos = {a: sum(c.get(a, 0) for c in stats["chaos"]["counts"].values())
             for a in ("create", "update", "delete")}  # fmt: skip
    title("Soak: webhooks, syncs and chaos together, then the replica against the sandbox")
    table(
        ["webhooks delivered", "repeated", "chaos creates", "chaos edits", "chaos deletes",
         "syncs", "apply runs", "corner rounds", "churn s", "converge s"],
        [[stats["webhooks"]["delivered"], stats["webhooks"]["repeated"], chaos["create"],
          chaos["update"], chaos["delete"], churn.syncs, churn.applies, churn.corners,
          round(churned, 1), round(converge, 1)]],
    )  # fmt: skip
    table(["lost", "resurrected", "stale", "duplicated", "open events", "errors"],
          [[totals["lost"], totals["resurrected"], totals["stale"], totals["duplicated"],
            left, len(churn.errors)]])  # fmt: skip
    for line in divergence.examples[:10] + churn.errors[:10]:
        note(line)
    save("soak", {"webhooks": stats["webhooks"], "chaos": chaos, "syncs": churn.syncs,
                  "apply_runs": churn.applies, "corner_rounds": churn.corners,
                  "churn_seconds": churned,
                  "converge_seconds": converge, **totals, "open_events": left,
                  "errors": churn.errors[:20]})  # fmt: skip


if __name__ == "__main__":
    main()
