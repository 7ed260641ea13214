"""The deployment files, checked statically (no Docker engine here) and against real parts."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from tests.dbs import fresh_postgres_database
from tsh_consumer_api.app import create_app as consumer_app
from tsh_consumer_api.settings import Settings as ConsumerSettings
from tsh_webhooks.app import create_app as webhooks_app
from tsh_webhooks.settings import Settings as WebhookSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
LONG_RUNNING = {"postgres", "dagster-code", "dagster-webserver", "dagster-daemon",
                "tsh-webhooks", "tsh-consumer-api", "nginx"}  # fmt: skip
CONSOLE_SCRIPTS = {"dagster", "dagster-webserver", "dagster-daemon"}


def _command(name: str) -> list[str]:
    cmd = SERVICES[name].get("command")
    return cmd if isinstance(cmd, list) else ["sh", "-c", cmd]


def test_every_service_runs_a_real_module_or_entry_point() -> None:
    assert LONG_RUNNING | {"migrate"} == set(SERVICES)
    for name in SERVICES:
        if "image" in SERVICES[name] and "build" not in SERVICES[name]:
            continue  # postgres and nginx: upstream images with their own entry points
        words = " ".join(_command(name)).split()
        modules = [words[i + 1] for i, w in enumerate(words) if w == "-m"]
        scripts = [w for w in words if w in CONSOLE_SCRIPTS]
        assert modules or scripts, name
        for module in modules:
            assert importlib.util.find_spec(module) is not None, f"{name}: {module}"
        for script in scripts:
            assert shutil.which(script) or (Path(os.sys.executable).parent / script).exists()


def test_every_long_running_service_has_a_healthcheck_on_a_real_endpoint() -> None:
    apps = {
        "tsh-webhooks": webhooks_app(WebhookSettings.from_env({"DATABASE_URL": "sqlite://"})),
        "tsh-consumer-api": consumer_app(ConsumerSettings.from_env({"DATABASE_URL": "sqlite://"})),
    }
    for name in LONG_RUNNING:
        test = " ".join(SERVICES[name]["healthcheck"]["test"])
        if name in apps:
            path = re.search(r"http://127\.0\.0\.1:\d+(/[a-z_/]*)", test).group(1)  # type: ignore[union-attr]
            with TestClient(apps[name]) as client:
                assert client.get(path).status_code != 404, (name, path)
    assert "/server_info" in " ".join(SERVICES["dagster-webserver"]["healthcheck"]["test"])
    assert "grpc-health-check" in " ".join(SERVICES["dagster-code"]["healthcheck"]["test"])
    assert "liveness-check" in " ".join(SERVICES["dagster-daemon"]["healthcheck"]["test"])
    nginx = (ROOT / "deploy/nginx/tsh.conf.template").read_text()
    assert "location = /healthz" in nginx


def test_services_wait_for_what_they_need_and_use_their_own_role() -> None:
    for name, svc in SERVICES.items():
        if name in ("postgres",):
            continue
        conditions = {c["condition"] for c in svc["depends_on"].values()}
        assert conditions <= {"service_healthy", "service_completed_successfully"}, name
        assert "env_file" not in svc, f"{name}: the whole .env reaches it"
        assert svc["restart"] in ("unless-stopped", "no"), name
    roles = {
        "tsh-webhooks": "tsh_webhooks", "tsh-consumer-api": "tsh_consumer",
        "dagster-code": "tsh_pipelines", "migrate": "tsh_owner",
    }  # fmt: skip
    for name, role in roles.items():
        env = SERVICES[name]["environment"]
        url = env.get("DATABASE_URL") or env.get("CONSUMER_DATABASE_URL")
        assert url.startswith(f"postgresql://{role}:"), name
    nginx = (ROOT / "deploy/nginx/tsh.conf.template").read_text()
    routes = {"/api/zoho/webhooks/": "tsh_webhooks", "/api/consumer/": "tsh_consumer",
              "/api/bff/": "tsh_consumer", "/api/admin/": "tsh_webhooks"}  # fmt: skip
    for prefix, upstream in routes.items():
        block = nginx.split(f"location {prefix}")[1].split("}")[0]
        assert f"proxy_pass http://{upstream}" in block and "client_max_body_size" in block


def test_dagster_yaml_is_a_valid_instance_on_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with fresh_postgres_database("tsh_dagster") as url:
        db = url.rsplit("/", 1)[1]
        for key, value in {"DAGSTER_HOME": str(tmp_path), "DAGSTER_PG_HOST": "127.0.0.1",
                           "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "postgres",
                           "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": db}.items():  # fmt: skip
            monkeypatch.setenv(key, value)
        instance = DagsterInstance.get()
        try:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert instance.get_runs() == []  # the storage really connects and is migrated
            assert instance.run_retries_enabled and instance.run_monitoring_enabled
        finally:
            instance.dispose()


ENV_NAME = re.compile(r"\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"")
NOT_ENV = {"PER_PAGE"}  # constants that look like variable names
# Read by compose or dagster.yaml, not by Python code.
DEPLOY_ONLY = {
    "TSH_OWNER_DB_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB", "TSH_DOMAIN", "TSH_IMAGE", "TSH_TAG",
    "TSH_PUBLISH_ADDRESS", "TSH_HTTP_PORT", "TSH_HTTPS_PORT", "TSH_CERTS_DIR",
    "COMPOSE_PROJECT_NAME",
}  # fmt: skip


def code_env_names(
    packages: tuple[str, ...] = ("tsh_db", "tsh_pipelines", "tsh_webhooks", "tsh_consumer_api"),
) -> set[str]:
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            names |= set(ENV_NAME.findall(path.read_text()))
    return names - NOT_ENV


def test_env_example_lists_every_variable_the_code_reads_and_no_other() -> None:
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    in_code = code_env_names()
    assert in_code - example == set(), "read by the code but missing from .env.example"
    assert example - in_code - DEPLOY_ONLY == set(), "in .env.example but read by nothing"
    compose = (ROOT / "docker-compose.yml").read_text() + (ROOT / "dagster.yaml").read_text()
    for name in DEPLOY_ONLY:
        assert name in compose, name
