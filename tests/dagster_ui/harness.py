"""Dagster as a user drives it: `dagster dev` as a process, GraphQL over HTTP as the UI
speaks it, and the environment the README's commands run in."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from zoho_sandbox.process import DEMO_CREDENTIALS, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # .venv/bin when the suite runs from the project's venv
REPOSITORY = "__repository__"
DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def demo_env(sandbox_url: str, database_url: str, dagster_home: Path, **extra: str) -> dict:
    """What `.tsh/demo.env` gives the README's commands, pointed at a test sandbox and DB.

    The client is told the sandbox's limits (the session sandbox's are far above use)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZOHO_", "DAGSTER_")) and k != "DATABASE_URL"}  # fmt: skip
    env.update(
        DAGSTER_HOME=str(dagster_home),
        DATABASE_URL=database_url,
        ZOHO_CLIENT_ID=DEMO_CREDENTIALS["client_id"],
        ZOHO_CLIENT_SECRET=DEMO_CREDENTIALS["client_secret"],
        ZOHO_REFRESH_TOKEN=DEMO_CREDENTIALS["refresh_token"],
        ZOHO_ORGANIZATION_ID=DEMO_CREDENTIALS["organization_id"],
        ZOHO_API_BASE_URL=sandbox_url,
        ZOHO_ACCOUNTS_URL=sandbox_url,
        ZOHO_BOOKS_RPM="100000",
        ZOHO_INVENTORY_RPM="100000",
        **extra,
    )
    return env


def demo_home(path: Path) -> Path:
    """A DAGSTER_HOME with the demo's instance configuration, as scripts/demo.sh makes it."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "deploy/dagster.demo.yaml", path / "dagster.yaml")
    return path


def wait_for(what: str, probe: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class DagsterUI:
    """GraphQL over HTTP against a running webserver, as the UI calls it."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        self.location = ""  # workspace.yaml's one code location, once loaded

    def query(self, text: str, **variables: Any) -> dict:
        resp = self.http.post("/graphql", json={"query": text, "variables": variables})
        resp.raise_for_status()
        body = resp.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def launch_run(
        self, job: str, run_config: Mapping | None = None, tags: Mapping[str, str] | None = None,
        assets: list[str] | None = None,
    ) -> str:  # fmt: skip
        pairs = [{"key": k, "value": v} for k, v in (tags or {}).items()]
        params: dict[str, Any] = {
            "selector": {"repositoryLocationName": self.location, "repositoryName": REPOSITORY,
                         "jobName": job},
            "runConfigData": dict(run_config or {}),
            "executionMetadata": {"tags": pairs},
        }  # fmt: skip
        if assets is not None:
            params["selector"]["assetSelection"] = [{"path": [a]} for a in assets]
        data = self.query(LAUNCH_RUN, params=params)["launchRun"]
        assert data["__typename"] == "LaunchRunSuccess", data
        return data["run"]["runId"]

    def launch_backfill(
        self, assets: list[str], partitions: list[str] | None = None, all_partitions: bool = False
    ) -> str:
        params: dict[str, Any] = {"assetSelection": [{"path": [a]} for a in assets]}
        if all_partitions:
            params["allPartitions"] = True
        else:
            params["partitionNames"] = partitions
        data = self.query(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
        assert data["__typename"] == "LaunchBackfillSuccess", data
        return data["backfillId"]

    def run_status(self, run_id: str) -> str:
        return self.query(RUN, runId=run_id)["runOrError"]["status"]

    def wait_run(self, run_id: str, timeout: float = 240) -> str:
        return wait_for(f"run {run_id}", lambda: self._done(self.run_status(run_id)), timeout)

    def backfill(self, backfill_id: str) -> dict:
        return self.query(BACKFILL, backfillId=backfill_id)["partitionBackfillOrError"]

    def wait_backfill(self, backfill_id: str, timeout: float = 240) -> dict:
        def finished() -> dict | None:
            data = self.backfill(backfill_id)
            return data if data["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "FAILED",
                                              "COMPLETED_FAILED", "CANCELED") else None  # fmt: skip

        return wait_for(f"backfill {backfill_id}", finished, timeout, every=2)

    def asset_keys(self) -> dict[str, bool]:
        """Every asset key the UI shows, and whether Dagster can materialize it."""
        nodes = self.query(ASSET_NODES)["assetNodes"]
        return {"/".join(n["assetKey"]["path"]): n["isExecutable"] for n in nodes}

    @staticmethod
    def _done(status: str) -> str | None:
        return status if status in DONE else None


@contextmanager
def dagster_dev(env: Mapping[str, str], log: Path) -> Iterator[DagsterUI]:
    """`dagster dev -w workspace.yaml` (webserver and daemon) as scripts/demo.sh runs it."""
    port = free_port()
    cmd = [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(env), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    ui = DagsterUI(f"http://127.0.0.1:{port}")
    try:
        wait_for("the Dagster webserver and code location", lambda: _loaded(ui, proc, log), 180)
        yield ui
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # dagster dev and the processes it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _loaded(ui: DagsterUI, proc: subprocess.Popen, log: Path) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"dagster dev exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
    try:
        entries = ui.query(WORKSPACE)["workspaceOrError"]["locationEntries"]
    except httpx.HTTPError:
        return False
    loaded = [e["name"] for e in entries if e["loadStatus"] == "LOADED"]
    if loaded:
        ui.location = loaded[0]
    return bool(loaded)


WORKSPACE = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message stack }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message }
  ... on PipelineNotFoundError { message } } }"""
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack }
  ... on InvalidSubsetError { message } ... on PartitionSetNotFoundError { message } } }"""
RUN = "query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }"
BACKFILL = """query($backfillId: String!) { partitionBackfillOrError(backfillId: $backfillId) {
  ... on PartitionBackfill { status runs(limit: 50) { runId status tags { key value } } } } }"""
ASSET_NODES = "{ assetNodes { assetKey { path } isExecutable } }"
