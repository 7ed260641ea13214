"""Run the sandbox as a child process, for tests, benchmarks and the demo.

with SandboxProcess(items=100, books_rpm=50, webhook_url="http://127.0.0.1:9000") as sb:
    httpx.post(f"{sb.url}/oauth/v2/token", params={...DEMO_CREDENTIALS...})
    sb.mutate("invoices", "update", count=3)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from .config import DEMO_CREDENTIALS, ON_OFF, VALUED_BOOLS

__all__ = ["DEMO_CREDENTIALS", "SandboxProcess", "free_port"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_args(options: dict[str, Any]) -> list[str]:
    """kwargs -> CLI flags: `books_rpm=50` -> `--books-rpm 50`, `no_limits=True` -> flag,
    `rate_edits_bump_modified=False` -> `--rate-edits-bump-modified false`,
    `retry_after=False` -> `--retry-after off`."""
    args: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if key in VALUED_BOOLS:
            args += [flag, "true" if value else "false"]
            continue
        if key in ON_OFF and isinstance(value, bool):
            args += [flag, "on" if value else "off"]
            continue
        if value is None or value is False:
            continue
        args += [flag] if value is True else [flag, str(value)]
    return args


class SandboxProcess:
    def __init__(self, startup_timeout: float = 60.0, **options: Any) -> None:
        self.options = options
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(base_url=self.url, timeout=60.0)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> SandboxProcess:
        for attempt in range(3):
            try:
                self._spawn()
                return self
            except RuntimeError as exc:
                # the free port can be taken between our probe and the child's bind
                if attempt == 2 or "address already in use" not in str(exc).lower():
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                self._client = httpx.Client(base_url=self.url, timeout=60.0)
        return self

    def _spawn(self) -> None:
        # files, not pipes: a chatty child can never block on a full pipe; closed in stop()
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        cmd = [
            sys.executable,
            "-m",
            "zoho_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *cli_args(self.options),
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=_PROJECT_ROOT, env=env, stdout=self._out, stderr=self._err
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}:\n{self.stderr()}")
            try:
                if self._client.get("/_sandbox/stats", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop(close_client=False)
        raise RuntimeError(
            f"sandbox did not answer within {self.startup_timeout}s:\n{self.stderr()}"
        )

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode(errors="replace")

    def stdout(self) -> str:
        self._out.seek(0)
        return self._out.read().decode(errors="replace")

    def stop(self, close_client: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if close_client:
            self._client.close()
            self._out.close()
            self._err.close()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control API ----------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self._client.post(path, json=body)
        resp.raise_for_status()
        return resp.json()

    def mutate(
        self,
        entity: str,
        action: str,
        count: int | None = None,
        ids: list[str] | None = None,
        fields: dict[str, Any] | None = None,
        same_second: bool = False,
    ) -> dict[str, Any]:
        """`same_second=True`: the stamp does not advance (the previous mutation's
        `last_modified_time`)."""
        body: dict[str, Any] = {"entity": entity, "action": action}
        if same_second:
            body["same_second"] = True
        if count is not None:
            body["count"] = count
        if ids is not None:
            body["ids"] = ids
        if fields is not None:
            body["fields"] = fields
        return self._post("/_sandbox/mutate", body)

    def faults(self, **kw: Any) -> dict[str, Any]:
        return self._post("/_sandbox/faults", kw)

    def chaos(self, **kw: Any) -> dict[str, Any]:
        """`chaos(seed=1, rate=0.5, actions=["delete"], entities=["invoices"])`; no
        arguments turns chaos off, like `stop_chaos()`."""
        return self._post("/_sandbox/chaos", kw)

    def stop_chaos(self) -> dict[str, Any]:
        return self._post("/_sandbox/chaos", {"stop": True})

    def webhooks(self, **kw: Any) -> dict[str, Any]:
        """`webhooks(body="jsonstring", id_only=True, method="PUT", signing="raw",
        event_in="header", route_param=False, params={"k": "v"}, repeat_rate=0.2,
        reorder_ms=500, drop_rate=0.1, seed=1, off=["items", "stock"], partial=["phone"],
        order="reverse", hold=3)`; no arguments
        restores well-behaved deliveries (JSON, POST, Zoho's signature, ?event=&route=)."""
        return self._post("/_sandbox/webhooks", kw)

    def flush_webhooks(self) -> int:
        """Send the deliveries held by `webhooks(order="reverse"|"shuffle")` now."""
        return self._post("/_sandbox/webhooks/flush", {})["released"]

    def clock(self, **kw: Any) -> dict[str, Any]:
        """`clock(skew=3600)`, `clock(now=time.time() + 60)` or
        `clock(time_zone="America/New_York")`; no arguments reads it."""
        if not kw:
            resp = self._client.get("/_sandbox/clock")
            resp.raise_for_status()
            return resp.json()["clock"]
        return self._post("/_sandbox/clock", kw)["clock"]

    def switches(self, **kw: Any) -> dict[str, Any]:
        """`switches(stock_item_webhooks=True, stock_moves_bump_modified=True,
        rate_edits_bump_modified=False, adjustments_route="stock")` changes those (the rest
        stay); no arguments reads them."""
        if not kw:
            resp = self._client.get("/_sandbox/switches")
            resp.raise_for_status()
            return resp.json()["switches"]
        return self._post("/_sandbox/switches", kw)["switches"]

    def stats(self) -> dict[str, Any]:
        resp = self._client.get("/_sandbox/stats")
        resp.raise_for_status()
        return resp.json()

    def reset(self) -> dict[str, Any]:
        return self._post("/_sandbox/reset", {})

    def records(self, entity: str) -> list[dict[str, Any]]:
        resp = self._client.get(f"/_sandbox/records/{entity}")
        resp.raise_for_status()
        return resp.json()["records"]
