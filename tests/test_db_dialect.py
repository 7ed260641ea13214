"""Upsert, bulk load and row claiming behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tsh_db.dialect import COPY_THRESHOLD, bulk_load, claim_rows, upsert
from tsh_db.schema import product_warehouse_stock, products, tds_sync_queue

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def product(i: int, name: str = "Fan", modified: datetime = T0, **extra: object) -> dict:
    return {
        "zoho_id": str(4815000000000000000 + i),  # above 2^53: must survive as text
        "name": f"{name} {i}",
        "sku": f"TSH-{i:05d}",
        "price": Decimal("15000"),
        "zoho_last_modified_time": modified,
        "raw": {"item_id": str(4815000000000000000 + i), "custom_field_hash": {}},
        "synced_at": datetime.now(UTC),
        **extra,
    }


def test_upsert_counts_inserted_updated_unchanged(engine: Engine) -> None:
    with engine.begin() as conn:
        first = upsert(conn, products, [product(i) for i in range(5)], ["zoho_id"])
    assert first.as_dict() == {"inserted": 5, "updated": 0, "unchanged": 0}

    rows = [product(i) for i in range(5)] + [product(5)]
    rows[0] = product(0, name="Heater", modified=T0 + timedelta(minutes=1))
    with engine.begin() as conn:
        second = upsert(conn, products, rows, ["zoho_id"])
    assert second.as_dict() == {"inserted": 1, "updated": 1, "unchanged": 4}

    with engine.connect() as conn:
        names = dict(conn.execute(select(products.c.zoho_id, products.c.name)).all())
    assert names["4815000000000000000"] == "Heater 0"
    assert len(names) == 6


def test_upsert_never_regresses_a_newer_row(engine: Engine) -> None:
    newer, older = T0 + timedelta(hours=1), T0
    with engine.begin() as conn:
        upsert(conn, products, [product(1, "New", newer)], ["zoho_id"])
        result = upsert(
            conn, products, [product(1, "Old", older)], ["zoho_id"],
            newer_than="zoho_last_modified_time",
        )  # fmt: skip
    assert result.as_dict() == {"inserted": 0, "updated": 0, "unchanged": 1}
    with engine.connect() as conn:
        row = conn.execute(select(products.c.name, products.c.zoho_last_modified_time)).one()
    assert row.name == "New 1"
    assert row.zoho_last_modified_time == newer


def test_large_upsert_takes_the_bulk_path_and_counts_correctly(engine: Engine) -> None:
    n = COPY_THRESHOLD + 500
    rows = [product(i, stock_on_hand=Decimal(i % 7)) for i in range(n)]
    with engine.begin() as conn:
        assert upsert(conn, products, rows, ["zoho_id"]).inserted == n
    rows[10] = product(10, "Changed", stock_on_hand=Decimal(3))
    with engine.begin() as conn:
        result = upsert(conn, products, rows, ["zoho_id"])
    assert result.as_dict() == {"inserted": 0, "updated": 1, "unchanged": n - 1}
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(products))
        raw = conn.scalar(select(products.c.raw).where(products.c.zoho_id.like("%0010")))
    assert count == n
    assert raw["item_id"] == "4815000000000000010"


def test_upsert_with_composite_key(engine: Engine) -> None:
    now = datetime.now(UTC)
    rows = [
        {"product_zoho_id": "1", "warehouse_zoho_id": w, "stock_on_hand": 5, "synced_at": now}
        for w in ("10", "11")
    ]
    with engine.begin() as conn:
        assert (
            upsert(
                conn, product_warehouse_stock, rows, ["product_zoho_id", "warehouse_zoho_id"]
            ).inserted
            == 2
        )  # noqa: E501
        rows[1] = {**rows[1], "stock_on_hand": 7}
        again = upsert(
            conn, product_warehouse_stock, rows, ["product_zoho_id", "warehouse_zoho_id"]
        )  # noqa: E501
    assert again.as_dict() == {"inserted": 0, "updated": 1, "unchanged": 1}


def test_bulk_load_appends_rows_with_nulls_quotes_and_json(engine: Engine) -> None:
    tricky = 'He said "10%", then \\N, then a comma, and a\nnewline'
    rows = [product(i, description=tricky if i == 0 else None) for i in range(3)]
    rows[1]["description"] = ""
    with engine.begin() as conn:
        assert bulk_load(conn, products, rows) == 3
    with engine.connect() as conn:
        got = dict(conn.execute(select(products.c.sku, products.c.description)).all())
    assert got == {"TSH-00000": tricky, "TSH-00001": "", "TSH-00002": None}


def _queue_rows(n: int) -> list[dict]:
    now = datetime.now(UTC)
    return [
        {
            "entity_type": "products", "zoho_entity_id": str(i), "event_type": "edited",
            "queued_at": now, "next_attempt_at": now,
        }
        for i in range(n)
    ]  # fmt: skip


def test_concurrent_claimers_never_share_a_row(engine: Engine) -> None:
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, _queue_rows(60))
    claimed: list[list[int]] = []

    def claimer(name: str) -> None:
        while True:
            with engine.begin() as conn:
                rows = claim_rows(
                    conn, tds_sync_queue, tds_sync_queue.c.status == "pending",
                    [tds_sync_queue.c.id], 7, {"status": "processing", "claimed_by": name},
                )  # fmt: skip
            if not rows:
                return
            claimed.append([r["id"] for r in rows])

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == 60
    assert len(set(ids)) == 60
    with engine.connect() as conn:
        statuses = set(conn.scalars(select(tds_sync_queue.c.status)))
    assert statuses == {"processing"}
