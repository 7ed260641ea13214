"""5. Webhook to replica latency, through everything that runs in production.

Sandbox mutation → signed webhook → `python -m tsh_webhooks` (inbox + queue rows) → the
`webhook_queue_sensor` under `dagster dev` (its daemon, as scripts/demo.sh starts it, with
a temporary DAGSTER_HOME on SQLite) → an `apply_webhook_events` run → the `products` row in
the PostgreSQL replica. One item is renamed every `--interval` seconds; the clock stops
when the new name is read back from the replica. Baseline, from the same events: the
queue's own timestamps split the latency into delivery, wait for the sensor tick (every
TSH_WEBHOOK_SENSOR_SECONDS, 5 s by default) and the run that applies the batch.

    python -m bench.webhook_latency [--events 60 --interval 1.0]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bench.common import (
    ROOMY,
    Timer,
    median,
    note,
    percentile,
    save,
    settings_for,
    setup_logging,
    table,
    temp_database,
    title,
)
from bench.loadgen import LOGS, service
from tsh_db.engine import get_engine
from tsh_db.schema import products, tds_sync_queue
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

SECRET = "bench-latency-secret-9c1d"
# The demo's instance configuration: what a user of `make demo` gets.
DAGSTER_YAML = (Path(__file__).resolve().parents[1] / "deploy" / "dagster.demo.yaml").read_text()
log = logging.getLogger("bench.webhook_latency")


def names(url: str, ids: list[str]) -> dict[str, str]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(products.c.zoho_id, products.c.name).where(products.c.zoho_id.in_(ids))
        ).all()
    return {r[0]: r[1] for r in rows}


def run_events(
    sandbox: SandboxProcess, url: str, ids: list[str], interval: float, timeout: float
) -> dict[str, dict]:
    """Rename ids[k] at k * interval; poll the replica until every new name is there."""
    events: dict[str, dict] = {}
    started = time.monotonic()
    deadline = started + len(ids) * interval + timeout
    sent = 0
    while time.monotonic() < deadline:
        if sent < len(ids) and time.monotonic() >= started + sent * interval:
            zid, name = ids[sent], f"Bench rename {uuid.uuid4().hex[:12]}"
            events[zid] = {"name": name, "t0": time.monotonic(), "at": datetime.now(UTC)}
            sandbox.mutate("items", "update", ids=[zid], fields={"name": name})
            sent += 1
        waiting = [z for z, e in events.items() if "seconds" not in e]
        for zid, name in names(url, waiting).items():
            if name == events[zid]["name"]:
                events[zid]["seconds"] = time.monotonic() - events[zid]["t0"]
        if sent == len(ids) and not waiting:
            break
        time.sleep(0.05)
    return events


def breakdown(url: str, events: dict[str, dict]) -> dict[str, list[float]]:
    q = tds_sync_queue
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(
                q.c.zoho_entity_id,
                q.c.queued_at,
                q.c.processing_started_at,
                q.c.processing_completed_at,
            ).where(q.c.zoho_entity_id.in_(list(events)), q.c.status == "completed")
        ).all()
    parts: dict[str, list[float]] = {"delivery": [], "sensor wait": [], "run": []}
    for zid, queued, claimed, done in rows:
        at = events[zid]["at"]
        parts["delivery"].append((queued - at).total_seconds())
        parts["sensor wait"].append((claimed - queued).total_seconds())
        parts["run"].append((done - claimed).total_seconds())
    return parts


def daemon_timings(log: Path) -> dict[str, list[float]]:
    """From dagster dev's log: gaps between sensor ticks, time a requested run sat in the run
    queue, and time from run start to step start (the step's own process)."""
    stamp = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
    run = re.compile(r"([0-9a-f]{8}-[0-9a-f-]{27})")
    ticks: list[datetime] = []
    marks: dict[str, dict[str, datetime]] = {}
    for line in re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace")).splitlines():
        m = stamp.match(line)
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        r = run.search(line)
        if "Checking for new runs for sensor: webhook_queue_sensor" in line:
            ticks.append(at)
        elif r and "Completed launch of run" in line:
            marks.setdefault(r.group(1), {})["requested"] = at
        elif r and ("RUN_START" in line or "STEP_START " in line):
            marks.setdefault(r.group(1), {}).setdefault(line.split(" - ")[-2].strip(), at)
    gaps = [(b - a).total_seconds() for a, b in zip(ticks, ticks[1:], strict=False)]
    queued = [
        (m["RUN_START"] - m["requested"]).total_seconds()
        for m in marks.values()
        if {"requested", "RUN_START"} <= m.keys()
    ]
    step = [
        (m["STEP_START"] - m["RUN_START"]).total_seconds()
        for m in marks.values()
        if {"STEP_START", "RUN_START"} <= m.keys()
    ]
    return {"sensor tick gap": gaps, "run queued": queued, "run start to step start": step}


def dagster_env(sandbox: SandboxProcess, url: str, home: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DAGSTER_HOME": str(home),
        "ZOHO_CLIENT_ID": DEMO_CREDENTIALS["client_id"],
        "ZOHO_CLIENT_SECRET": DEMO_CREDENTIALS["client_secret"],
        "ZOHO_REFRESH_TOKEN": DEMO_CREDENTIALS["refresh_token"],
        "ZOHO_ORGANIZATION_ID": DEMO_CREDENTIALS["organization_id"],
        "ZOHO_API_BASE_URL": sandbox.url,
        "ZOHO_ACCOUNTS_URL": sandbox.url,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--items", type=int, default=500)
    a = parser.parse_args()
    setup_logging()
    title(
        f"5. Webhook to replica latency under dagster dev: {a.events} item renames, one "
        f"every {a.interval:g} s, PostgreSQL replica"
    )
    receiver_env = {"ZOHO_WEBHOOK_SECRETS": SECRET, "ADMIN_API_TOKEN": "bench"}
    with (
        temp_database("latency") as url,
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as home,
        service(
            "latency_receiver", ["-m", "tsh_webhooks"], {**receiver_env, "DATABASE_URL": url}
        ) as receiver,
    ):
        hooks = f"{receiver}/api/zoho/webhooks"
        with SandboxProcess(
            items=a.items,
            invoices=20,
            customers=10,
            webhook_url=hooks,
            webhook_secret=SECRET,
            webhook_backoff=0.2,
        ) as sandbox:
            engine = get_engine(url)
            with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
                sync_products(client, engine, log=log)  # the replica starts complete
            ids = [
                str(r["item_id"])
                for r in sandbox.records("items")
                if r.get("source", "books") == "books"
            ][: a.events + 1]
            (Path(home) / "dagster.yaml").write_text(DAGSTER_YAML)
            env = dagster_env(sandbox, url, Path(home))
            with service(
                "latency_dagster",
                ["-m", "dagster", "dev", "-w", "workspace.yaml"],
                env,
                health="/server_info",
                timeout=300,
            ):
                timer = Timer()
                probe = run_events(sandbox, url, ids[:1], 0, timeout=240)
                if "seconds" not in probe[ids[0]]:
                    raise RuntimeError("the first webhook never reached the replica in 240 s")
                note(
                    f"dagster dev up and the first event applied after {timer.seconds:.0f} s "
                    "(not counted)"
                )
                events = run_events(sandbox, url, ids[1:], a.interval, timeout=120)
            parts = breakdown(url, events)
    done = [e["seconds"] for e in events.values() if "seconds" in e]
    lost = len(events) - len(done)
    rows = [
        [
            "webhook to replica (end to end)",
            len(done),
            percentile(done, 50),
            percentile(done, 95),
            max(done),
        ]
    ]
    for name, values in parts.items():
        if values:
            rows.append(
                [
                    f"  of which {name}",
                    len(values),
                    percentile(values, 50),
                    percentile(values, 95),
                    max(values),
                ]
            )
    table(["stage", "events", "p50 s", "p95 s", "max s"], rows)
    note(f"events not seen in the replica within 120 s of the last one: {lost}")
    note(
        "delivery = mutation to inbox commit; sensor wait = inbox commit to the sensor's "
        "claim; run = claim to the event's row settled (run launch, imports, apply)"
    )
    timings = daemon_timings(LOGS / "latency_dagster.log")
    note(
        "from dagster dev's log (1-s resolution): "
        + "; ".join(
            f"{k} median {median(v):.0f} s, max {max(v):.0f} s ({len(v)})"
            for k, v in timings.items()
            if v
        )
    )
    sensor_s = int(os.environ.get("TSH_WEBHOOK_SENSOR_SECONDS", "5"))
    note(
        f"baseline: with a sensor tick every {sensor_s} s an event waits {sensor_s / 2:g} s "
        f"on average (up to {sensor_s} s) before any work starts"
    )
    save(
        "webhook_latency",
        {
            "events": len(events),
            "lost": lost,
            "seconds": done,
            "parts": parts,
            "dagster_log": timings,
        },
    )


if __name__ == "__main__":
    main()
