"""Every `dagster job execute` of the README, run as written: no partition, no UI.

Against the session sandbox over HTTP and a PostgreSQL replica, with the demo's Dagster
instance configuration in a temporary DAGSTER_HOME.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.dagster_ui.harness import BIN, ROOT, demo_env, demo_home
from tests.dagster_ui.readme import cli_commands, job_of
from tsh_db.engine import get_engine
from tsh_db.schema import data_investigation_reports, tds_sync_runs
from tsh_pipelines.assets.documents import MONTHLY
from zoho_sandbox.process import SandboxProcess

TIMEOUT = 300


def start(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    argv = [str(BIN / "dagster"), *argv[1:]]  # the README's .venv/bin/dagster
    with log.open("w") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen, log: Path) -> str:
    proc.wait(timeout=TIMEOUT)
    text = log.read_text()
    assert proc.returncode == 0 and "RUN_SUCCESS" in text, text[-4000:]
    return text


def test_every_readme_command_succeeds_with_no_partition(
    fresh_sandbox: SandboxProcess, pg_url: str, tmp_path: Path
) -> None:
    engine: Engine = get_engine(pg_url)
    home = demo_home(tmp_path / "dagster_home")
    env = demo_env(fresh_sandbox.url, pg_url, home)
    commands = {job_of(argv): argv for argv in cli_commands()}
    # The first sync alone: later syncs then find every row (and price list code) in place.
    first = finish(start(commands.pop("incremental_sync"), env, tmp_path / "first.log"),
                   tmp_path / "first.log")  # fmt: skip
    invoices = fresh_sandbox.records("invoices")
    # The invoices listing's progress line, against Zoho's count of the same listing.
    n = f"{len(invoices):,}"
    assert f"invoices: page 2, {n} rows: {n} of {n} records (100 %)" in first
    logs = {job: tmp_path / f"{job}.log" for job in commands}
    procs = {job: start(argv, env, logs[job]) for job, argv in commands.items()}
    outputs = {job: finish(proc, logs[job]) for job, proc in procs.items()}

    assert "replayed 0 dead letters" in outputs["replay_dead_letters"]
    with engine.connect() as conn:
        reports = conn.scalar(select(func.count()).select_from(data_investigation_reports))
        modes = set(conn.scalars(select(tds_sync_runs.c.run_type).distinct()))
    assert reports == 1
    assert {"incremental", "full_refresh"} <= modes
    with dg.DagsterInstance.from_config(str(home)) as instance:
        done = instance.get_materialized_partitions(dg.AssetKey("invoices"))
        months = {r["date"][:7] + "-01" for r in invoices} & set(MONTHLY.get_partition_keys())
        assert months and months <= done  # every month with documents, no partition asked
        for key in ("products", "product_prices", "product_warehouse_stock", "warehouses"):
            assert instance.get_latest_materialization_event(dg.AssetKey(key)), key
