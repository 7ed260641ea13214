"""Zoho's own retries carry an event through a database outage: 503, then landed once."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.dbs import PG_ADMIN_URL
from tests.webhooks.helpers import NEW_SECRET, counts, receiver_env, receiver_process
from tests.webhooks.test_outage import _admin, _create_migrated
from tests.webhooks.test_sandbox import _poll
from zoho_sandbox.process import SandboxProcess


def test_sandbox_retry_lands_the_event_once_the_database_is_back(tmp_path: Path) -> None:
    name = f"tsh_outage_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        with receiver_process(receiver_env(url), tmp_path / "receiver.log") as receiver:
            hooks = f"{receiver.base_url}/api/zoho/webhooks"
            with SandboxProcess(items=10, invoices=5, customers=3, vendors=1, bills=2,
                                creditnotes=1, salesorders=1, webhook_url=hooks,
                                webhook_secret=NEW_SECRET, webhook_backoff=0.5,
                                webhook_retries=8) as sandbox:  # fmt: skip
                sandbox.mutate("items", "update", count=1)
                first = _poll(lambda: sandbox.stats()["webhooks"], lambda w: w["attempts"] >= 1)
                assert first["delivered"] == 0  # the database is not there: 503, not stored
                engine = _create_migrated(name, url)
                hooks_done = _poll(lambda: sandbox.stats()["webhooks"],
                                   lambda w: w["delivered"] == 1, timeout=60)  # fmt: skip
            assert hooks_done["failed"] == 0 and hooks_done["attempts"] >= 2
            assert counts(engine) == (1, 1)
            engine.dispose()
        assert "503" in (tmp_path / "receiver.log").read_text()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
