"""No secret reaches the Dagster UI, run config, event log, metadata or the service logs.

A real sync and a real webhook batch run with every secret set the way production sets
them (environment variables behind `EnvVar`), then everything Dagster stored and every log
written is searched for each secret value.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import (
    RepositorySnap,
    ResourceConfigEnvVarSnap,
)
from dagster._serdes import serialize_value
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.replication.helpers import live_rows
from tests.webhooks.helpers import receiver_process
from tests.webhooks.test_sandbox import _poll
from tsh_db.engine import get_engine
from tsh_db.schema import tds_sync_queue, zoho_oauth_tokens
from tsh_pipelines.assets.catalog import CATALOG_ASSETS
from tsh_pipelines.realtime import apply_webhook_events_job, webhook_queue_sensor
from tsh_pipelines.resources import default_resources
from zoho_sandbox.config import CLIENT_SECRET, REFRESH_TOKEN
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

DB_PASSWORD = "Pg-Secret-Passw0rd-4411"  # PostgreSQL here trusts loopback: any password works
WEBHOOK_SECRET = "hookSecretValue7733"
ADMIN_TOKEN = "admin-Secret-Token-5511"
WORLD = {"items": 15, "customers": 4, "vendors": 2, "invoices": 5, "bills": 2,
         "creditnotes": 1, "salesorders": 1}  # fmt: skip


def _zoho_env(monkeypatch: pytest.MonkeyPatch, db_url: str, sandbox_url: str) -> None:
    env = {
        "DATABASE_URL": db_url,
        "ZOHO_CLIENT_ID": DEMO_CREDENTIALS["client_id"],
        "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
        "ZOHO_ORGANIZATION_ID": DEMO_CREDENTIALS["organization_id"],
        "ZOHO_API_BASE_URL": sandbox_url,
        "ZOHO_ACCOUNTS_URL": sandbox_url,
        "ZOHO_BOOKS_RPM": "100000",
        "ZOHO_INVENTORY_RPM": "100000",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_resources_show_env_var_names_not_values(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_url = make_url(pg_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    _zoho_env(monkeypatch, secret_url, "http://127.0.0.1:1")
    defs = dg.Definitions(assets=CATALOG_ASSETS, resources=default_resources())
    snap = RepositorySnap.from_def(defs.get_repository_def())
    shown = {r.name: r.configured_values for r in snap.resources or []}
    assert shown["database"]["url"] == ResourceConfigEnvVarSnap(name="DATABASE_URL")
    for field, var in (("client_secret", "ZOHO_CLIENT_SECRET"),
                       ("refresh_token", "ZOHO_REFRESH_TOKEN")):  # fmt: skip
        assert shown["zoho"][field] == ResourceConfigEnvVarSnap(name=var)
    text = serialize_value(snap)
    for secret in (DB_PASSWORD, CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in text


def test_a_sync_and_a_webhook_batch_leave_no_secret_anywhere(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level("DEBUG")
    secret_url = make_url(pg_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    receiver_env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": secret_url,
        "ZOHO_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "ADMIN_API_TOKEN": ADMIN_TOKEN,
    }
    log = tmp_path / "receiver.log"
    with receiver_process(receiver_env, log) as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        hooked = {"webhook_url": hooks, "webhook_secret": WEBHOOK_SECRET, "webhook_backoff": 0.1}
        with SandboxProcess(**WORLD, **hooked, books_rpm=100_000, inventory_rpm=100_000) as sandbox:
            _zoho_env(monkeypatch, secret_url, sandbox.url)
            resources = default_resources()
            with dg.instance_for_test() as instance:
                sync = dg.materialize(CATALOG_ASSETS, resources=resources, instance=instance)
                assert sync.success
                renamed = sandbox.mutate("items", "update", count=2, fields={"name": "Renamed"})
                _poll(lambda: _queued(pg_url), lambda n: n >= 2)
                batch = _apply_one_batch(instance, resources)
                texts = _everything_dagster_stored(instance)
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert receiver.get("/api/zoho/webhooks/rejections", headers=admin).status_code == 200
    names = live_rows(get_engine(pg_url), "products", "name")
    assert {names[str(r["id"])][0] for r in renamed["records"]} == {"Renamed"}  # it really ran
    assert batch.success and len(texts) > 20
    with get_engine(pg_url).connect() as conn:
        tokens = [t for t in conn.execute(select(zoho_oauth_tokens.c.access_token)).scalars() if t]
    assert tokens  # the access token the runs used is a secret too
    logs = log.read_text() + capfd.readouterr().out + capfd.readouterr().err + caplog.text
    assert "POST /api/zoho/webhooks/products" in logs and "rows_inserted" in "".join(texts)
    for secret in (DB_PASSWORD, CLIENT_SECRET, REFRESH_TOKEN, WEBHOOK_SECRET, ADMIN_TOKEN,
                   *tokens):  # fmt: skip
        assert not [t for t in texts if secret in t], secret
        assert secret not in logs, secret


def _queued(url: str) -> int:
    with get_engine(url).connect() as conn:
        return len(conn.execute(select(tds_sync_queue.c.id)).all())


def _apply_one_batch(instance: dg.DagsterInstance, resources: dict) -> dg.ExecuteInProcessResult:
    ctx = dg.build_sensor_context(instance=instance, resources={"database": resources["database"]})
    result = webhook_queue_sensor(ctx)
    assert not isinstance(result, dg.SkipReason), result
    (request,) = result.run_requests
    return apply_webhook_events_job.execute_in_process(
        run_config=request.run_config, resources=resources, instance=instance, tags=request.tags
    )


def _everything_dagster_stored(instance: dg.DagsterInstance) -> list[str]:
    """Every run (with its config and tags) and every event of it, metadata included."""
    texts = []
    for run in instance.get_runs():
        texts.append(serialize_value(run))
        texts += [serialize_value(record) for record in instance.all_logs(run.run_id)]
    return texts
