"""The one write path: newer wins, equal versions go to the later read, tombstones hold.

Run on both dialects and on both of PostgreSQL's statement shapes (a page-sized batch and
the COPY path above COPY_THRESHOLD rows), since each compiles the rule on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.test_db_dialect import T0, product
from tsh_db.dialect import COPY_THRESHOLD
from tsh_db.schema import products
from tsh_db.writes import tombstone, write_rows

READ = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def rows(n: int, name: str, modified: datetime, read: datetime) -> list[dict]:
    return [{**product(i, name, modified), "synced_at": read, "deleted_at": None}
            for i in range(n)]  # fmt: skip


def names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        live = select(products.c.name).where(products.c.deleted_at.is_(None))
        return {n.split()[0] for n in conn.scalars(live)}


@pytest.mark.parametrize("n", [3, COPY_THRESHOLD + 1], ids=["batch", "bulk"])
def test_the_rule_holds_on_every_statement_shape(engine: Engine, n: int) -> None:
    later, hour = READ + timedelta(seconds=5), timedelta(hours=1)
    with engine.begin() as conn:
        assert write_rows(conn, products, rows(n, "v2", T0 + hour, READ)).counts.inserted == n
        older = write_rows(conn, products, rows(n, "v1", T0, later))
        assert (older.counts.updated, older.current) == (0, set())
    assert names(engine) == {"v2"}  # an older version never replaces a newer one

    with engine.begin() as conn:  # same version: the later read wins, an earlier one loses
        same_later = write_rows(conn, products, rows(n, "v2b", T0 + hour, later))
        same_earlier = write_rows(conn, products, rows(n, "v2a", T0 + hour, READ))
    assert same_later.counts.updated == n and len(same_later.current) == n
    assert same_earlier.counts.updated == 0
    assert names(engine) == {"v2b"}

    ids = [r["zoho_id"] for r in rows(n, "x", T0, READ)]
    with engine.begin() as conn:
        assert tombstone(conn, products, ids, T0 + 2 * hour) == n
        replay = write_rows(conn, products, rows(n, "v2c", T0 + hour, later + hour))
        assert replay.counts.updated == 0  # a listing taken before the delete: stays deleted
    assert names(engine) == set()
    with engine.begin() as conn:
        revived = write_rows(conn, products, rows(n, "v3", T0 + 3 * hour, later + hour))
    assert revived.counts.updated == n  # only a strictly newer version revives
    assert names(engine) == {"v3"}
