"""Least-privilege roles on PostgreSQL: each service can do its job and nothing more."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.consumer_api.catalogue import NOW, VISIBLE, AppClient, pid, product_row, seed
from tests.dbs import fresh_postgres_database
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.dialect import COPY_THRESHOLD, claim_rows, upsert
from tsh_db.engine import get_engine
from tsh_db.roles import RolesError, create_roles, passwords_from_env
from tsh_db.schema import (
    consumer_catalog,
    consumer_catalog_state,
    data_investigation_reports,
    metadata,
    price_lists,
    product_prices,
    products,
    tds_inbox_events,
    tds_sync_queue,
    tds_sync_runs,
    zoho_sync_state,
)

ROOT = Path(__file__).resolve().parents[2]
NO_PASSWORD_ENV = {k: v for k, v in os.environ.items() if not k.startswith("TSH_")}


@pytest.fixture(scope="module")
def pg_url(migrated_urls: Callable[[str], str]) -> str:
    url = migrated_urls("postgresql")
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    seed(engine)
    create_roles(engine, passwords={})
    return url


def role_url(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@contextmanager
def connect_as(url: str, role: str) -> Iterator[Engine]:
    engine = create_engine(role_url(url, role), poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def run(engine: Engine, stmt: Any) -> Any:
    with engine.begin() as conn:
        result = conn.execute(text(stmt) if isinstance(stmt, str) else stmt)
        return result.all() if result.returns_rows else result.rowcount


def assert_denied(engine: Engine, stmt: Any) -> None:
    with pytest.raises(DBAPIError) as info:
        run(engine, stmt)
    assert info.value.orig.pgcode == "42501", info.value  # insufficient_privilege


def inbox_event(n: int) -> dict:
    return {
        "event_id": f"evt-{n}", "entity_type": "item", "entity_id": pid(n),
        "event_type": "edited", "raw_payload": {"item": {"item_id": pid(n)}}, "received_at": NOW,
    }  # fmt: skip


def queue_row(inbox_id: int | None, n: int) -> dict:
    return {
        "inbox_event_id": inbox_id, "entity_type": "item", "zoho_entity_id": pid(n),
        "event_type": "edited", "queued_at": NOW, "next_attempt_at": NOW,
    }  # fmt: skip


def test_consumer_reads_the_catalogue_and_nothing_else(pg_url: str) -> None:
    with connect_as(pg_url, "tsh_consumer") as consumer:
        for table in (consumer_catalog, consumer_catalog_state):
            assert run(consumer, select(func.count()).select_from(table))[0][0] > 0
        assert_denied(consumer, update(consumer_catalog).values(price=1))
        assert_denied(consumer, update(consumer_catalog_state).values(version=0))
        assert_denied(consumer, delete(consumer_catalog))
        # The replica behind it is not the API's to read any more.
        for table in (products, price_lists, product_prices):
            assert_denied(consumer, select(func.count()).select_from(table))
        assert_denied(consumer, insert(products).values(product_row(90, "Injected", "X", "F", 5)))
        assert_denied(consumer, select(tds_sync_queue.c.id))
        assert_denied(consumer, insert(tds_sync_queue).values(queue_row(None, 1)))
        assert_denied(consumer, select(func.count()).select_from(metadata.tables["bills"]))
        # The order history (issue 26) reads the outbox and the customer's documents, only.
        for name in ("tds_outbox", "customers", "sales_orders", "invoice_line_items"):
            assert run(consumer, select(func.count()).select_from(metadata.tables[name]))
        outbox = metadata.tables["tds_outbox"]
        assert_denied(consumer, update(outbox).values(status="cancelled"))
        assert_denied(consumer, "CREATE TABLE sneaky (id int)")


def test_the_api_serves_prices_as_tsh_consumer(pg_url: str) -> None:
    client = AppClient(create_app(Settings(database_url=role_url(pg_url, "tsh_consumer"))))
    body = client.get("/api/consumer/products", params={"per_page": 100}).json()
    assert body["total"] == len(VISIBLE)
    assert client.get("/health").status_code == 200


def test_webhooks_append_to_the_inbox_and_replay_and_nothing_more(pg_url: str) -> None:
    with connect_as(pg_url, "tsh_webhooks") as hooks:
        with hooks.begin() as conn:
            inbox_id = conn.execute(
                insert(tds_inbox_events).values(inbox_event(1)).returning(tds_inbox_events.c.id)
            ).scalar_one()
            conn.execute(insert(tds_sync_queue).values(queue_row(inbox_id, 1)))
        for table in (tds_sync_runs, data_investigation_reports, zoho_sync_state):
            assert run(hooks, select(func.count()).select_from(table)) == [(0,)]
        # It may move a row's status (to replay a dead letter), never rewrite the event.
        assert run(hooks, update(tds_sync_queue).values(status="pending", retry_count=0)) == 1
        assert run(hooks, update(tds_inbox_events).values(status="pending")) == 1
        assert_denied(hooks, update(tds_sync_queue).values(zoho_entity_id="2"))
        assert_denied(hooks, update(tds_sync_queue).values(entity_type="customers"))
        assert_denied(hooks, update(tds_inbox_events).values(raw_payload={}))
        assert_denied(hooks, delete(tds_sync_queue))
        assert_denied(hooks, delete(tds_inbox_events))
        assert_denied(hooks, update(products).values(price=1))
        assert_denied(hooks, select(price_lists.c.zoho_id))
        # Orders (issue 26): appended after checking products, then only their status moves.
        outbox = metadata.tables["tds_outbox"]
        assert run(hooks, select(func.count()).select_from(products))
        with hooks.begin() as conn:
            conn.execute(insert(outbox).values(kind="pos_sale", payload={}, created_at=NOW,
                                               next_attempt_at=NOW))  # fmt: skip
        assert run(hooks, update(outbox).values(status="pending", cancelled_at=NOW)) == 1
        assert_denied(hooks, update(outbox).values(payload={"items": []}))
        assert_denied(hooks, update(outbox).values(zoho_document_id="1"))
        assert_denied(hooks, delete(outbox))
        run_row = {"run_type": "x", "entity_type": "item", "status": "ok", "started_at": NOW}
        assert_denied(hooks, insert(tds_sync_runs).values(run_row))
    with get_engine(pg_url).begin() as conn:
        assert conn.scalar(select(func.count()).select_from(tds_sync_queue)) == 1
        conn.execute(delete(tds_inbox_events))  # cascades to the queue row


def test_pipelines_sync_claim_and_delete_but_not_alter(pg_url: str) -> None:
    rows = [
        product_row(1000 + i, f"Bulk {i}", f"B-{i}", "Bulk", 1) for i in range(COPY_THRESHOLD + 1)
    ]
    with connect_as(pg_url, "tsh_pipelines") as pipes:
        with pipes.begin() as conn:
            # Past COPY_THRESHOLD the upsert stages rows in a temporary table.
            assert upsert(conn, products, rows, ["zoho_id"]).inserted == len(rows)
            conn.execute(insert(tds_sync_queue), [queue_row(None, 1), queue_row(None, 2)])
            pending = tds_sync_queue.c.status == "pending"
            claimed = claim_rows(
                conn, tds_sync_queue, pending, [tds_sync_queue.c.id], 5, {"status": "processing"}
            )
            assert len(claimed) == 2
            conn.execute(delete(tds_sync_queue))
            assert conn.execute(delete(products).where(products.c.category == "Bulk")).rowcount
        assert_denied(pipes, "SELECT * FROM alembic_version")
        assert_denied(pipes, "CREATE TABLE sneaky (id int)")
        assert_denied(pipes, "DROP TABLE products")
        assert_denied(pipes, "TRUNCATE products")


def test_create_roles_is_idempotent_and_converges(pg_url: str) -> None:
    admin = get_engine(pg_url)
    run(admin, "GRANT INSERT, UPDATE ON products TO tsh_consumer")
    run(admin, "ALTER ROLE tsh_consumer CREATEDB")
    try:
        create_roles(admin, passwords={})  # takes the hand-made widening back
        create_roles(admin, passwords={})  # and a rerun changes nothing
        with connect_as(pg_url, "tsh_consumer") as consumer:
            assert_denied(consumer, update(products).values(price=1))
            assert run(consumer, select(func.count()).select_from(consumer_catalog))[0][0] > 0
        attrs = "SELECT rolcreatedb, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = :r"
        with admin.connect() as conn:
            assert conn.execute(text(attrs), {"r": "tsh_consumer"}).all() == [(False, False, True)]
    finally:
        run(admin, "ALTER ROLE tsh_consumer NOCREATEDB")  # cluster-wide: never leave it behind


def test_passwords_are_stored_hashed(pg_url: str) -> None:
    admin = get_engine(pg_url)
    query = "SELECT rolpassword FROM pg_authid WHERE rolname = 'tsh_webhooks'"
    [(previous,)] = run(admin, query)
    try:
        create_roles(admin, passwords={"tsh_webhooks": "s3cret-pw"})
        [(stored,)] = run(admin, query)
        assert stored.startswith("SCRAM-SHA-256$") and "s3cret" not in stored
        create_roles(admin, passwords={})  # no password given: the stored one stays
        assert run(admin, query) == [(stored,)]
    finally:
        # Roles are cluster-wide: put back whatever was there before this test.
        with admin.begin() as conn:
            conn.exec_driver_sql("ALTER ROLE tsh_webhooks PASSWORD %(p)s", {"p": previous})


def test_passwords_from_env() -> None:
    env = {"TSH_CONSUMER_DB_PASSWORD": "a", "TSH_WEBHOOKS_DB_PASSWORD": "", "OTHER": "x"}
    assert passwords_from_env(env) == {"tsh_consumer": "a"}


def test_create_roles_needs_migrated_tables_and_postgresql(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        engine = create_engine(url, poolclass=NullPool)
        with pytest.raises(RolesError, match="python -m tsh_db upgrade"):
            create_roles(engine, passwords={})
        engine.dispose()
    with pytest.raises(RolesError, match="PostgreSQL only"):
        create_roles(get_engine(f"sqlite:///{tmp_path / 'x.db'}"), passwords={})


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_cli_create_roles(dialect: str, pg_url: str, tmp_path: Path) -> None:
    url = pg_url if dialect == "postgresql" else f"sqlite:///{tmp_path / 'cli.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "tsh_db", "create-roles"],
        cwd=ROOT, env={**NO_PASSWORD_ENV, "DATABASE_URL": url},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    if dialect == "postgresql":
        assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
            "tsh_consumer", "tsh_pipelines", "tsh_webhooks",
        ]  # fmt: skip
    else:
        assert "do not apply to SQLite" in result.stdout
