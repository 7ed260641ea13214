"""Settings from the environment, the start-up contract, and the least-privilege role."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.realtime.test_replay import seed_dead_letters
from tests.webhooks.helpers import ADMIN_TOKEN, ROOT, body_for, deliver, receiver_env
from tsh_db.engine import get_engine
from tsh_db.roles import create_roles
from tsh_db.service import SettingsError
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:pw@db:5432/tsh",
            "ZOHO_WEBHOOK_SECRETS": " first123 , ,second456,",
            "ADMIN_API_TOKEN": " tok ",
            "WEBHOOK_MAX_BODY_BYTES": "2048",
            "DAGSTER_UI_URL": "http://dagster:3000/",
        }
    )
    assert settings.webhook_secrets == ("first123", "second456")
    assert settings.admin_api_token == "tok"
    assert (settings.max_body_bytes, settings.dagster_ui_url) == (2048, "http://dagster:3000")
    assert make_url(settings.engine_url).query["connect_timeout"] == "5"
    assert "pw" not in settings.safe_database_url
    assert "first123" not in repr(settings) and "tok" not in repr(settings)


def test_settings_defaults() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///x.db"})
    assert (settings.webhook_secrets, settings.admin_api_token) == ((), None)
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.engine_url == "sqlite:///x.db"  # SQLite needs no connect timeout
    pg = "postgresql://h/db?connect_timeout=2"
    assert Settings.from_env({"DATABASE_URL": pg}).engine_url == pg  # an explicit one wins


@pytest.mark.parametrize("value", ["lots", "0", "-5"])
def test_a_bad_body_limit_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_MAX_BODY_BYTES"):
        Settings.from_env({"DATABASE_URL": "sqlite://", "WEBHOOK_MAX_BODY_BYTES": value})


def test_the_command_line_refuses_a_bad_setting_and_never_imports_dagster(tmp_path) -> None:
    env = receiver_env(f"sqlite:///{tmp_path / 'x.db'}", WEBHOOK_MAX_BODY_BYTES="lots")
    bad = subprocess.run(
        [sys.executable, "-m", "tsh_webhooks", "--port", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "WEBHOOK_MAX_BODY_BYTES='lots'" in bad.stderr
    probe = "import sys, tsh_webhooks.app, tsh_webhooks.__main__; print('dagster' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert imported.stdout.strip() == "False", imported.stderr


def test_the_tsh_webhooks_role_can_do_the_receivers_job(pg_url: str) -> None:
    """Storing, coalescing, the ops reads and a replay need no more than the role grants."""
    db_url = pg_url
    create_roles(get_engine(db_url), passwords={})
    as_role = make_url(db_url).set(username="tsh_webhooks").render_as_string(hide_password=False)
    settings = Settings(as_role, webhook_secrets=("s3cretS3cret",), admin_api_token=ADMIN_TOKEN)
    body = body_for("item", "item_id")
    with TestClient(create_app(settings)) as client:
        first = deliver(client, "products", body, "s3cretS3cret")
        again = deliver(client, "products", body, "s3cretS3cret")
        assert (first.json()["status"], again.json()["status"]) == ("queued", "coalesced")
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ids = seed_dead_letters(get_engine(db_url))  # as the owner: the pipelines' work
        replay = client.post(
            "/api/zoho/sync/dead-letters/replay", json={"ids": [ids["p1"]]}, headers=admin
        )
        assert (replay.status_code, replay.json()) == (200, {"replayed": 1})
        for path in ("/api/zoho/sync/stats", "/api/zoho/sync/runs",
                     "/api/zoho/webhooks/inbox/stats", "/api/admin/data-investigation",
                     "/metrics", "/health"):  # fmt: skip
            assert client.get(path, headers=admin).status_code == 200, path
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
