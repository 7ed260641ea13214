"""End to end with the sandbox: a sync builds the catalogue, and webhook runs (queue, sensor,
apply job) change what the API answers, in both dialects. What a consumer should see is
worked out here from the sandbox's own records, not with the code under test."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine

from tests.consumer_api.catalogue import AppClient
from tests.realtime.test_realtime import run_sensor_once
from tests.replication.helpers import replicate_all
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.dialect import bulk_load
from tsh_db.schema import tds_sync_queue
from tsh_db.types import utcnow
from tsh_pipelines.catalog_check import compare_catalog
from tsh_pipelines.sync.catalog import Rules
from zoho_sandbox.process import SandboxProcess


def expected(sandbox: SandboxProcess) -> dict[str, Decimal]:
    """id → consumer price of every item the handbook's rules let a consumer see."""
    items = {str(i["item_id"]): i for i in sandbox.records("items")}
    book = next(p for p in sandbox.records("pricebooks") if p["name"] == "Consumer")
    shown = {}
    for rate in book["pricebook_items"]:
        item = items.get(str(rate["item_id"]))
        price = Decimal(str(rate["pricebook_rate"]))
        stock = None if item is None else item.get("actual_available_stock")
        if item and item["status"] == "active" and stock is not None and stock >= 1 and price > 0:
            shown[str(rate["item_id"])] = price
    return shown


def served(api: AppClient) -> dict[str, Decimal]:
    """Every product the API lists, walking the pages by cursor."""
    found: dict[str, Decimal] = {}
    params: dict[str, object] = {"per_page": 100}
    while True:
        body = api.get("/api/consumer/products", params=params).json()
        found.update({i["id"]: Decimal(str(i["price"])) for i in body["items"]})
        if body["next_cursor"] is None:
            assert body["total"] == len(found)
            return found
        params = {"per_page": 100, "cursor": body["next_cursor"]}


def queue(engine: Engine, *events: tuple[str, str, str]) -> None:
    now = utcnow()
    rows = [{"entity_type": e, "zoho_entity_id": z, "event_type": t, "queued_at": now,
             "next_attempt_at": now} for e, z, t in events]  # fmt: skip
    with engine.begin() as conn:
        bulk_load(conn, tds_sync_queue, rows)


def test_sync_then_webhook_runs_keep_what_the_api_serves_current(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine
) -> None:
    replicate_all(fresh_sandbox, engine)
    api = AppClient(create_app(Settings(database_url=db_url, version_ttl_ms=0)))
    before = expected(fresh_sandbox)
    assert len(before) > 20 and served(api) == before

    repriced, deleted, restocked = sorted(before)[:3]
    book = next(p for p in fresh_sandbox.records("pricebooks") if p["name"] == "Consumer")
    fresh_sandbox.mutate("pricebooks", "update", ids=[book["pricebook_id"]],
                         fields={"rates": {repriced: 77777}})  # fmt: skip
    fresh_sandbox.mutate("items", "delete", ids=[deleted])
    fresh_sandbox.mutate("stock", "update", ids=[restocked])
    queue(
        engine,
        ("price_lists", str(book["pricebook_id"]), "edited"),
        ("products", deleted, "deleted"),
        ("product_warehouse_stock", restocked, "edited"),
    )
    assert len(run_sensor_once(fresh_sandbox, db_url)) == 1

    after = expected(fresh_sandbox)
    assert after[repriced] == 77777 and deleted not in after
    assert served(api) == after
    assert api.get(f"/api/consumer/products/{deleted}").status_code == 404
    with engine.begin() as conn:
        drift = compare_catalog(conn, Rules())
    assert not drift.drifted, drift
