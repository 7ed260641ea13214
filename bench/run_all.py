"""Run every benchmark, one after the other, and keep the whole output.

    python bench/run_all.py                 # everything at full size (make bench)
    python bench/run_all.py --quick         # small sizes: a smoke test of the scripts
    python bench/run_all.py --only memory,consumer_api

Each benchmark runs in its own process with a time limit; a failure is reported and the
others still run. The output is also written to bench/results/last_run.txt, and each
benchmark's figures to bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# (module, full-size arguments, quick arguments, time limit in seconds)
BENCHMARKS: list[tuple[str, list[str], list[str], int]] = [
    ("replication", [], ["--size", "5000"], 900),
    (
        "rate_limits",
        [],  # the organisation, all 22 entities, both inventory modes: about 40 minutes
        [
            "--items",
            "100",
            "--invoices",
            "200",
            "--customers",
            "100",
            "--bills",
            "20",
            "--window",
            "2",
        ],
        3600,
    ),
    ("incremental", [], [], 600),
    ("webhook_ingest", [], ["--seconds", "3", "--bodies", "5000"], 300),
    ("webhook_latency", [], ["--events", "10"], 600),
    ("consumer_api", [], ["--products", "5000", "--seconds", "3"], 300),
    ("memory", [], ["--sizes", "2000,10000"], 600),
    ("reconciliation", [], ["--items", "3000", "--invoices", "6000"], 1800),
]


def commit() -> str:
    """The commit measured (the tree may move while a long run goes on: it is printed twice)."""
    out = subprocess.run(
        ["git", "log", "-1", "--format=%h %ci %s"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return out[:100] or "unknown"


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    pg = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from sqlalchemy import create_engine, text; "
                "from bench.common import PG_ADMIN_URL as u; "
                "print(create_engine(u).connect().execute(text('SHOW server_version')).scalar())",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        or "unreachable"
    )
    load = os.getloadavg()
    return [
        f"commit: {commit()}",
        f"CPU: {cpu}, {os.cpu_count()} cores; RAM {mem_kb / 1024 / 1024:.1f} GiB",
        f"PostgreSQL {pg} on 127.0.0.1:5432; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}",
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = (RESULTS / "last_run.txt").open("w")

    def emit(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        out.write(text)
        out.flush()

    emit("TSH Zoho Sync benchmarks" + (" (quick)" if args.quick else "") + "\n")
    for line in machine():
        emit(f"   {line}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    failed, started = [], time.monotonic()
    for name, full, quick, limit in BENCHMARKS:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        cmd = [sys.executable, "-m", f"bench.{name}", *(quick if args.quick else full)]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        # A hung benchmark cannot stall the rest: its whole process group (sandbox, services)
        # is ended at its time limit.
        watchdog = threading.Timer(limit, os.killpg, (proc.pid, signal.SIGTERM))
        watchdog.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            emit(line)
        code = proc.wait()
        watchdog.cancel()
        if time.monotonic() - t0 >= limit:
            emit(f"   {name}: stopped at its {limit} s limit\n")
        emit(f"   [{name}: {time.monotonic() - t0:.0f} s{'' if code == 0 else ', FAILED'}]\n")
        if code != 0:
            failed.append(name)
    minutes = (time.monotonic() - started) / 60
    load = os.getloadavg()
    emit(
        f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; commit: {commit()}"
    )
    emit(
        f"\nAll benchmarks: {minutes:.1f} min"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + "\n"
    )
    out.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
