"""The compose project under test: compose commands, containers, SQL and HTTP through nginx."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from tests.stack.prepare import DOMAIN, Ports, Workdir

PROJECT = "tsh-stack-test"
OVERLAY = "deploy/stack-test/compose.stack-test.yml"
T = TypeVar("T")


class ProofFailed(AssertionError):
    pass


def compose_command() -> list[str]:
    """`docker compose` (v2) where the plugin exists, else Debian's `docker-compose` (v1)."""
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    if probe.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise SystemExit("neither `docker compose` nor `docker-compose` is installed")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 1.0) -> T:
    """Poll until probe returns something truthy; fail naming what never happened."""
    deadline, last_error = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except (httpx.HTTPError, subprocess.CalledProcessError, ProofFailed) as exc:
            last_error = f" (last error: {exc})"
        time.sleep(every)
    raise ProofFailed(f"{what}: not within {timeout:.0f} s{last_error}")


@dataclass
class Stack:
    work: Workdir
    ports: Ports
    env: dict[str, str]
    command: list[str] = field(default_factory=compose_command)

    # ---- compose ---------------------------------------------------------------------------
    def compose(self, *args: str, timeout: float = 900, check: bool = True) -> str:
        # Only the overlay is the test's own; docker-compose.yml and .env are the operator's.
        cmd = [*self.command, "-p", PROJECT, "-f", "docker-compose.yml", "-f", OVERLAY, *args]
        done = subprocess.run(
            cmd, cwd=self.work.src, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise ProofFailed(
                f"{' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done.stdout

    def exec(self, service: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [
            *self.command,
            "-p",
            PROJECT,
            "-f",
            "docker-compose.yml",
            "-f",
            OVERLAY,
            "exec",
            "-T",
            service,
            *argv,
        ]
        done = subprocess.run(cmd, cwd=self.work.src, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise ProofFailed(f"exec {service} {argv[0]}: {done.stdout}{done.stderr}")
        return done

    def containers(self, service: str | None = None, every: bool = False) -> list[dict[str, Any]]:
        """`docker inspect` of the project's containers (of one service), running or not."""
        filters = ["--filter", f"label=com.docker.compose.project={PROJECT}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = docker("ps", "-q", *(["-a"] if every else []), *filters).split()
        return json.loads(docker("inspect", *ids)) if ids else []

    def container(self, service: str) -> dict[str, Any]:
        found = self.containers(service, every=True)
        if len(found) != 1:
            raise ProofFailed(f"{service}: {len(found)} containers, expected one")
        return found[0]

    def health(self, service: str) -> str:
        state = self.container(service)["State"]
        return state.get("Health", {}).get("Status") or state["Status"]

    # ---- SQL, as the owner, inside the postgres container (no port is published) ------------
    def sql(self, query: str, db: str = "tsh", user: str = "tsh_owner") -> list[list[str]]:
        out = self.exec(
            "postgres",
            "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-F",
            "\t",
            "-U",
            user,
            "-d",
            db,
            "-c",
            query,
        ).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, query: str, db: str = "tsh") -> str:
        rows = self.sql(query, db)
        return rows[0][0] if rows else ""

    # ---- HTTP ------------------------------------------------------------------------------
    def edge(self) -> httpx.Client:
        """nginx on 127.0.0.1 over TLS, verified against the test CA, as https://DOMAIN."""
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.ports.https}",
            headers={"Host": DOMAIN},
            verify=str(self.work.ca),
            timeout=30,
        )

    def sandbox(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.ports.sandbox}", timeout=30)

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.edge() as client:
            resp = client.post("/graphql", json={"query": query, "variables": variables or {}})
        resp.raise_for_status()
        body = resp.json()
        if body.get("errors"):
            raise ProofFailed(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def dump_logs(self, services: Sequence[str] = ()) -> None:
        self.work.logs.mkdir(parents=True, exist_ok=True)
        (self.work.logs / "ps.txt").write_text(self.compose("ps", "-a", check=False))
        names = services or self.compose("config", "--services", check=False).split()
        for name in names:
            text = self.compose("logs", "--no-color", "--tail", "400", name, check=False)
            (self.work.logs / f"{name}.log").write_text(text)


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout
