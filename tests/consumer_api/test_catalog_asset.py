"""The consumer_catalog asset (materialized from Dagster, with its lineage) and the
investigation's check that repairs a catalogue that drifted from the rules."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
from sqlalchemy import delete, insert, select, update

from tests.consumer_api.catalogue import NOW, VISIBLE, AppClient, pid
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.engine import get_engine
from tsh_db.schema import consumer_catalog, consumer_catalog_state
from tsh_pipelines.assets.consumer import consumer_catalog as catalog_asset
from tsh_pipelines.catalog_check import CHECK, compare_catalog, consumer_catalog_finding
from tsh_pipelines.investigation import OK, WARN
from tsh_pipelines.resources import DatabaseResource
from tsh_pipelines.sync.catalog import Rules

KEY = dg.AssetKey("consumer_catalog")


def test_the_asset_sits_downstream_of_what_it_reads_with_its_check() -> None:
    from tsh_pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(KEY)
    assert {k.to_user_string() for k in node.parent_keys} == {
        "products", "product_prices", "price_lists", "product_warehouse_stock",
    }  # fmt: skip
    assert node.is_materializable and node.group_name == "consumer"
    assert dg.AssetCheckKey(KEY, CHECK) in graph.asset_check_keys


def test_materializing_rebuilds_the_catalogue(catalogue_url: str) -> None:
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(delete(consumer_catalog))  # lost: a restore, a hand edit
    result = dg.materialize(
        [catalog_asset], resources={"database": DatabaseResource(url=catalogue_url)}
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    meta = event.materialization.metadata
    assert meta["dagster/row_count"].value == len(VISIBLE)
    assert (
        meta["inserted"].value == len(VISIBLE) and meta["price_list_code"].value == "consumer_iqd"
    )
    api = AppClient(create_app(Settings(database_url=catalogue_url, version_ttl_ms=0)))
    assert api.get("/api/consumer/products").json()["total"] == len(VISIBLE)


def test_the_investigation_finds_a_drifted_catalogue_and_repairs_it(catalogue_url: str) -> None:
    c = consumer_catalog.c
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(update(consumer_catalog).where(c.product_zoho_id == pid(1)).values(price=1))
        conn.execute(delete(consumer_catalog).where(c.product_zoho_id == pid(2)))
        conn.execute(insert(consumer_catalog).values(
            product_zoho_id=pid(20), name="Hidden base price only", price=Decimal("123456"),
            stock=40, created_time=NOW, search_text="hidden", synced_at=NOW,
        ))  # fmt: skip
    finding = consumer_catalog_finding(get_engine(catalogue_url), Rules())
    assert (finding.check, finding.asset, finding.severity) == (CHECK, "consumer_catalog", WARN)
    meta = finding.metadata
    assert (meta["missing"], meta["extra"], meta["different"]) == (1, 1, 1)
    assert meta["sample"] == sorted([pid(1), pid(2), pid(20)]) and meta["left_after"] is False
    with get_engine(catalogue_url).begin() as conn:
        assert not compare_catalog(conn, Rules()).drifted
        price = conn.scalar(select(c.price).where(c.product_zoho_id == pid(1)))
        total = conn.scalar(select(consumer_catalog_state.c.total))
    assert (Decimal(price), total) == (Decimal("15000"), len(VISIBLE))
    assert consumer_catalog_finding(get_engine(catalogue_url), Rules()).severity == OK
