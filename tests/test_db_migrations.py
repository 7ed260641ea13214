"""The migration creates exactly the schema in tsh_db.schema, and removes it again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tests.dbs import fresh_postgres_database, fresh_sqlite_database
from tsh_db import migrate
from tsh_db.engine import get_engine
from tsh_db.schema import applies_to, metadata

EXPECTED_TABLES = {
    "products", "product_warehouse_stock", "warehouses", "customers", "invoices",
    "invoice_line_items", "bills", "bill_line_items", "credit_notes", "sales_orders",
    "credit_note_line_items", "sales_order_line_items", "inventory_adjustments",
    "inventory_adjustment_line_items", "transfer_orders", "transfer_order_line_items",
    "price_lists", "product_prices", "tds_inbox_events", "tds_sync_queue", "tds_sync_runs",
    "zoho_sync_state", "zoho_oauth_tokens", "zoho_organizations", "zoho_token_refresh_log",
    "zoho_rate_limits", "zoho_api_slots", "tds_stock_refresh", "tds_outbox",
    "data_investigation_reports", "consumer_catalog", "consumer_catalog_state", "product_images",
    "vendors", "contact_persons", "contact_addresses", "purchase_orders",
    "purchase_order_line_items", "estimates", "estimate_line_items", "vendor_credits",
    "vendor_credit_line_items", "customer_payments", "customer_payment_invoices",
    "vendor_payments", "vendor_payment_bills", "expenses", "zoho_users", "taxes", "currencies",
    "chart_of_accounts",
}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    cm = (
        fresh_postgres_database("tsh_migr")
        if request.param == "postgresql"
        else fresh_sqlite_database(tmp_path)
    )
    with cm as url:
        yield url
        get_engine(url).dispose()


def test_upgrade_creates_every_table_and_downgrade_removes_them(empty_url: str) -> None:
    engine = get_engine(empty_url)
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    assert set(metadata.tables) == EXPECTED_TABLES

    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)  # and back up again: the downgrade left nothing behind
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def _applies_on(dialect: str) -> Callable[..., bool]:
    """As the migration environment compares: dialect-only indexes only where they apply."""

    def include(obj: Any, _name: Any, _type: Any, reflected: bool, _compare_to: Any) -> bool:
        return reflected or applies_to(obj, dialect)

    return include


def test_migrated_database_matches_the_schema_module(empty_url: str) -> None:
    engine = get_engine(empty_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        include = _applies_on(conn.dialect.name)
        context = MigrationContext.configure(conn, opts={"include_object": include})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_indexes_for_the_service_queries_exist(empty_url: str) -> None:
    engine = get_engine(empty_url)
    migrate.upgrade(engine)
    insp = inspect(engine)
    product_indexes = {ix["name"] for ix in insp.get_indexes("products")}
    assert {
        "ix_products_consumer_listing",
        "ix_products_zoho_last_modified_time",
    } <= product_indexes
    catalog_indexes = {ix["name"] for ix in insp.get_indexes("consumer_catalog")}
    orders = {f"ix_consumer_catalog_{k}" for k in ("name", "price", "created", "category")}
    assert orders <= catalog_indexes
    # the trigram index exists where pg_trgm does: PostgreSQL only
    search = "ix_consumer_catalog_search"
    assert (search in catalog_indexes) == (engine.dialect.name == "postgresql")
    queue_indexes = {ix["name"] for ix in insp.get_indexes("tds_sync_queue")}
    assert "ix_tds_sync_queue_due" in queue_indexes
    unique = {tuple(u["column_names"]) for u in insp.get_unique_constraints("invoices")}
    assert ("zoho_id",) in unique


def test_vendors_move_out_of_customers_with_every_row_and_version(empty_url: str) -> None:
    engine = get_engine(empty_url)
    migrate.upgrade(engine, "0010")
    contacts = [  # zoho_id, type, version, deleted (a tombstone moves as a tombstone)
        ("101", "customer", "2026-03-01 10:00:00", None),
        ("102", "vendor", "2026-03-02 11:30:00", None),
        ("103", "vendor", "2026-03-03 09:15:00", "2026-03-04 08:00:00"),
    ]
    with engine.begin() as conn:
        for zoho_id, kind, version, deleted in contacts:
            conn.execute(text(
                "INSERT INTO customers (zoho_id, name, contact_type, zoho_last_modified_time, "
                "source, raw, synced_at, deleted_at, received_via) VALUES (:i, :n, :t, :v, "
                "'books', :raw, :v, :d, 'webhook')"
            ), {"i": zoho_id, "n": f"Contact {zoho_id}", "t": kind, "v": version, "d": deleted,
                "raw": json.dumps({"contact_id": zoho_id})})  # fmt: skip
    before = _contacts(engine, "customers")
    migrate.upgrade(engine)
    moved = _contacts(engine, "vendors")
    assert moved == [r for r in before if r[1] == "vendor"]
    assert _contacts(engine, "customers") == [r for r in before if r[1] == "customer"]
    migrate.downgrade(engine, "0010")
    assert sorted(_contacts(engine, "customers")) == sorted(before)


def _contacts(engine: Any, table: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(str(v) for v in row) for row in conn.execute(text(
            f"SELECT zoho_id, contact_type, zoho_last_modified_time, deleted_at, raw, "
            f"received_via FROM {table} ORDER BY zoho_id"
        ))]  # fmt: skip
