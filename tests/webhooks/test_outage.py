"""A PostgreSQL outage over HTTP: 503 with Retry-After, nothing lost, and recovery unaided."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tests.dbs import PG_ADMIN_URL, _pg_unavailable
from tests.webhooks.helpers import body_for, counts, deliver, receiver_env, receiver_process
from tsh_db import migrate
from tsh_db.engine import get_engine


def _admin(sql: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def _create_migrated(name: str, url: str) -> Engine:
    _admin(f'CREATE DATABASE "{name}"')
    engine = get_engine(url)
    migrate.upgrade(engine)
    return engine


def _deliver(client: httpx.Client, body: bytes) -> httpx.Response:
    return deliver(client, "products", body)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert "nothing was stored" in response.json()["detail"]


def test_the_receiver_rides_out_a_database_outage(tmp_path: Path) -> None:
    try:
        _admin("SELECT 1")
    except OperationalError as exc:
        _pg_unavailable(str(exc).splitlines()[0])
    name = f"tsh_outage_{uuid.uuid4().hex[:10]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    first, second = body_for("item", "item_id", "101"), body_for("item", "item_id", "102")
    try:
        # The database does not exist yet: the receiver starts anyway and refuses to ack.
        with receiver_process(receiver_env(url), tmp_path / "receiver.log") as client:
            _assert_unavailable(_deliver(client, first))
            assert client.get("/health").status_code == 503

            engine = _create_migrated(name, url)
            assert counts(engine) == (0, 0)  # the refused delivery left nothing behind
            # Zoho's redelivery of the same bytes is now stored, not taken for a duplicate.
            assert _deliver(client, first).status_code == 202
            assert client.get("/health").status_code == 200

            # The database goes away under open pooled connections, then comes back empty.
            engine.dispose()
            _admin(f'DROP DATABASE "{name}" WITH (FORCE)')
            _assert_unavailable(_deliver(client, second))
            engine = _create_migrated(name, url)
            assert _deliver(client, second).status_code == 202
            assert counts(engine) == (1, 1)
            engine.dispose()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
