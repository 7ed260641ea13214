"""HTTP load with wrk (prepared requests through bench/wrk/requests.lua) and service processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx

from bench.common import ROOT
from zoho_sandbox.process import free_port

LUA = ROOT / "bench" / "wrk" / "requests.lua"
LOGS = ROOT / "bench" / "results" / "logs"


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: str = ""
    signature: str = "-"
    header: str = ""  # one "Name: value" header (e.g. If-None-Match), instead of a signature

    def line(self) -> str:
        return f"{self.method}\t{self.path}\t{self.header or self.signature}\t{self.body}"


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    base_url: str,
    requests: Iterable[Req],
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    timeout: float = 10.0,
) -> Load:
    """wrk at a fixed number of open connections, each sending its next request on answer."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for req in requests:
            f.write(req.line() + "\n")
        lines = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds:g}s",
                "--timeout",
                f"{timeout:g}s",
                "-s",
                str(LUA),
                base_url,
                "--",
                lines,
                str(threads),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        )
    finally:
        os.unlink(lines)
    marker = next(line for line in out.stdout.splitlines() if line.startswith("WRKJSON "))
    r = json.loads(marker.removeprefix("WRKJSON "))
    errors = sum(
        r[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        errors=errors,
        p50_ms=r["p50_us"] / 1000,
        p90_ms=r["p90_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
    )


def drain(base_url: str, probe: str = "/health", limit: float = 120.0) -> float:
    """Wait until the service answers `probe` fast again: requests wrk abandoned at the end
    of a run are still being served (a sync route runs to completion in the thread pool),
    and must not be charged to the next run. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        t0 = time.monotonic()
        with suppress(httpx.HTTPError):
            httpx.get(base_url + probe, timeout=limit)
        if time.monotonic() - t0 < 0.2:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


@contextmanager
def service(
    name: str,
    args: list[str],
    env: Mapping[str, str],
    health: str = "/health",
    timeout: float = 60.0,
) -> Iterator[str]:
    """`python <args> --host 127.0.0.1 --port <free>`; yields the base URL; log in results/.

    The child leads a process group of its own, so what it starts (dagster dev's webserver
    and daemon) is ended with it if it does not stop by itself.
    """
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **env}
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), full_env.get("PYTHONPATH")) if p
    )
    with (LOGS / f"{name}.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, *args, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + health, timeout=timeout, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with suppress(ProcessLookupError):  # what it started and left behind (Dagster runs)
            os.killpg(proc.pid, signal.SIGTERM)
