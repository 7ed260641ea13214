"""Our HTTP services as real processes on loopback ports, for tests that go over the wire."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from zoho_sandbox.process import free_port

ROOT = Path(__file__).resolve().parents[1]


def _wait_until_listening(proc: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}:\n{log.read_text()}")
        try:
            # Any answer will do: /health is 503 while a database is down, on purpose.
            httpx.get(f"{base}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the service did not answer within 20s:\n{log.read_text()}")


@contextmanager
def service_process(module: str, env: Mapping[str, str], log: Path) -> Iterator[httpx.Client]:
    """`python -m <module> --host 127.0.0.1 --port <free>`; yields a client for it."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(proc, base, log)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=10)
