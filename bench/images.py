"""Product pictures: Zoho image calls on a first and a second sync, thumbnail bytes against
the originals, and pictures served per second against /health in the same run.

    .venv/bin/python bench/images.py [--items 500] [--seconds 10] [--connections 8]

The demo's organisation (seed 42, 500 items, realistic images of 800 to 2,000 pixels) on
PostgreSQL. The peer of the serving figure is the consumer API's own /health (one trivial
query), measured by the same client in the same run; wrk is used when installed.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Timer, save, settings_for, setup_logging, table, temp_database, title
from bench.loadgen import Req, run_wrk, service, wrk_available
from tsh_db.engine import get_engine
from tsh_pipelines.images import ImageStore, renditions
from tsh_pipelines.sync.images import sync_images
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.images")
ROOMY = {"books_rpm": 100_000, "inventory_rpm": 100_000}
IMAGE = "items/{id}/image"


def image_sync(sandbox: SandboxProcess, url: str, store: ImageStore, mode: str) -> dict:
    engine = get_engine(url)
    with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
        for step in (sync_products, sync_stock, sync_price_lists):
            step(client, engine, mode=mode, log=log)
        timer = Timer()
        totals = sync_images(client, engine, store, mode=mode, log=log)
        seconds = timer.seconds
    calls = sum(n for (_, e, _), n in client.stats.calls.items() if e == IMAGE)
    return {"mode": mode, "image_calls": calls, "seconds": round(seconds, 1), **totals.extra}


def hammer(base: str, paths: list[str], seconds: float, connections: int) -> dict:
    """Requests per second with `connections` keep-alive clients, each sending on answer."""
    if wrk_available():
        load = run_wrk(base, [Req("GET", p) for p in paths], connections=connections,
                       seconds=seconds)  # fmt: skip
        return {"rps": round(load.rps), "p50_ms": round(load.p50_ms, 2), "errors": load.errors}
    done: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as c:
            n = k
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                if c.get(paths[n % len(paths)]).status_code != 200:
                    errors[0] += 1
                done.append(time.perf_counter() - t0)
                n += connections

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    return {"rps": round(len(done) / took), "p50_ms": round(statistics.median(done) * 1000, 2),
            "errors": errors[0]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    a = parser.parse_args()
    setup_logging()
    title(f"Product pictures: {a.items} items (seed 42), PostgreSQL")
    world = {"seed": 42, "items": a.items, "inventory_only_items": 5, "customers": 5,
             "vendors": 1, "invoices": 5, "bills": 1, "creditnotes": 1,
             "salesorders": 1}  # fmt: skip
    with (
        SandboxProcess(**world, **ROOMY) as sandbox,
        temp_database("images") as url,
        tempfile.TemporaryDirectory() as media,
    ):
        store = ImageStore(media)
        runs = [image_sync(sandbox, url, store, mode) for mode in (INCREMENTAL, INCREMENTAL,
                                                                    FULL_REFRESH)]  # fmt: skip
        names = ("first", "second", "third")
        table(["sync", "mode", "image calls", "fetched", "failed", "seconds"],
              [[n, r["mode"], r["image_calls"], r["images_fetched"], r["images_failed"],
                r["seconds"]] for n, r in zip(names, runs, strict=True)])  # fmt: skip
        first = runs[0]
        sizes = {k: first[k] for k in ("original_bytes", "list_bytes", "detail_bytes")}
        stored = first["images_fetched"] - first["images_failed"]
        table(["rendition", "bytes (all)", "mean per image", "of the original"],
              [[k.removesuffix("_bytes"), f"{v:,}", f"{v // max(stored, 1):,}",
                f"{v / sizes['original_bytes']:.1%}"] for k, v in sizes.items()])  # fmt: skip
        with get_engine(url).connect() as conn:
            paths = [f"/media/{renditions(p)['list']}" for (p,) in conn.exec_driver_sql(
                "SELECT path FROM product_images WHERE path IS NOT NULL")]  # fmt: skip
        env = {"CONSUMER_DATABASE_URL": url, "TSH_IMAGE_DIR": media}
        with service("consumer_api_images", ["-m", "tsh_consumer_api"], env) as base:
            served = {
                "pictures (list WebP)": hammer(base, paths, a.seconds, a.connections),
                "/health": hammer(base, ["/health"], a.seconds, a.connections),
            }
        table(["path", "requests/s", "p50 ms", "errors"],
              [[k, v["rps"], v["p50_ms"], v["errors"]] for k, v in served.items()])  # fmt: skip
        save("images", {"syncs": runs, "sizes": sizes, "served": served,
                        "loader": "wrk" if wrk_available() else "httpx threads"})  # fmt: skip


if __name__ == "__main__":
    main()
