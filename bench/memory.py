"""7. Memory: peak RSS of a full product sync at 10,000 and at 100,000 items.

Each sync runs in a fresh child process (`--child`), which reports its own `ru_maxrss` once
its imports are done (the baseline: what the process holds before it syncs anything) and
again after the sync (the peak). A sync that streams page by page keeps the peak flat as
the catalogue grows tenfold; one that holds the catalogue grows with it.

    python -m bench.memory [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from bench.common import ROOT, note, save, setup_logging, table, temp_database, title
from zoho_sandbox.process import SandboxProcess


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(sandbox_url: str, db_url: str) -> None:
    """Runs in the child process: import, measure, sync, measure, print JSON."""
    import logging

    from bench.common import ROOMY, sync_item_listings
    from tsh_db.engine import get_engine
    from tsh_pipelines.zoho import ZohoClient, ZohoSettings
    from zoho_sandbox.process import DEMO_CREDENTIALS

    engine = get_engine(db_url)
    settings = ZohoSettings(
        **DEMO_CREDENTIALS,
        api_base_url=sandbox_url,  # type: ignore[arg-type]
        accounts_url=sandbox_url,
        **ROOMY,
    )
    baseline = maxrss_mb()
    started = time.perf_counter()
    with ZohoClient(settings, engine) as client:
        totals = sync_item_listings(client, engine, logging.getLogger("bench.memory"))
        calls = client.stats.total
    print(
        json.dumps(
            {
                "baseline_mb": baseline,
                "peak_mb": maxrss_mb(),
                "calls": calls,
                "seconds": time.perf_counter() - started,
                "records": totals.records,
            }
        )
    )


def measure(size: int) -> dict:
    with (
        SandboxProcess(
            items=size, invoices=10, customers=10, no_limits=True, startup_timeout=600
        ) as sandbox,
        temp_database("memory") as url,
    ):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--child", sandbox.url, url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["children_maxrss_mb"] = children
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", nargs=2, metavar=("SANDBOX_URL", "DATABASE_URL"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    setup_logging()
    sizes = [int(s) for s in args.sizes.split(",")]
    title("7. Memory: peak RSS of a full product sync (Books and Inventory item listings)")
    results = {size: measure(size) for size in sizes}
    rows = [
        [
            f"{size:,} items",
            r["baseline_mb"],
            r["peak_mb"],
            r["peak_mb"] - r["baseline_mb"],
            r["calls"],
            r["seconds"],
        ]
        for size, r in results.items()
    ]
    table(
        ["catalogue", "after imports MB", "peak MB", "sync adds MB", "Zoho calls", "seconds"], rows
    )
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        growth = (large["peak_mb"] - large["baseline_mb"]) - (
            small["peak_mb"] - small["baseline_mb"]
        )
        note(
            f"{sizes[-1] // sizes[0]}x the items costs {growth:+.1f} MB more at peak "
            f"({growth * 1024 / (sizes[-1] - sizes[0]):.2f} KB per extra item)"
        )
    note(
        "peak = ru_maxrss of the child process that ran the sync (baseline: the same "
        "process after its imports, before syncing)"
    )
    save("memory", {str(k): v for k, v in results.items()})


if __name__ == "__main__":
    main()
