"""The README's demo steps, through the webserver's GraphQL as the UI sends them.

One stack for the module, as `make demo` starts it: a sandbox that sends signed webhooks to
the receiver, the consumer API, and `dagster dev` (webserver and daemon) on the demo's
instance configuration with a SQLite replica. Everything after the first sync is launched at
once (the backfill daemon works in 30 s rounds), and each test waits for its own part.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import yaml
from sqlalchemy import bindparam, text

from tests.dagster_ui.harness import ROOT, DagsterUI, dagster_dev, demo_env, demo_home, wait_for
from tests.dagster_ui.readme import cli_commands, job_of
from tests.servers import service_process
from tsh_db import migrate
from tsh_db.engine import get_engine
from zoho_sandbox.process import SandboxProcess

SECRET, ADMIN = "demoWebhookSecret42", "admin-token-for-ui-tests"
RANGE = ["2025-01-01", "2025-02-01", "2025-03-01"]
README_SQL = "select sku, name, actual_available_stock from products limit 5"


@dataclass
class Stack:
    ui: DagsterUI
    sandbox: SandboxProcess
    receiver: httpx.Client
    consumer: httpx.Client
    db_url: str
    runs: dict[str, str] = field(default_factory=dict)  # job → run id, launched by hand
    backfills: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)  # items the README's mutate edited


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("ui")
    db_url = f"sqlite:///{tmp / 'tsh.db'}"
    migrate.upgrade(get_engine(db_url))
    env = demo_env("http://127.0.0.1:1", db_url, demo_home(tmp / "dagster_home"),
                   ZOHO_WEBHOOK_SECRETS=SECRET, ADMIN_API_TOKEN=ADMIN)  # fmt: skip
    with (
        service_process("tsh_webhooks", env, tmp / "receiver.log") as receiver,
        service_process("tsh_consumer_api", env, tmp / "consumer.log") as consumer,
        SandboxProcess(
            seed=11, items=60, customers=20, vendors=4, invoices=80, bills=20, creditnotes=10,
            salesorders=10, books_rpm=100_000, inventory_rpm=100_000,
            webhook_url=f"{receiver.base_url}/api/zoho/webhooks", webhook_secret=SECRET,
        ) as sandbox,
    ):  # fmt: skip
        env.update(ZOHO_API_BASE_URL=sandbox.url, ZOHO_ACCOUNTS_URL=sandbox.url)
        with dagster_dev(env, tmp / "dagster.log") as ui:
            yield Stack(ui, sandbox, receiver, consumer, db_url)


def sensor_runs(ui: DagsterUI, sensor: str) -> list[dict]:
    data = ui.query(SENSOR_RUNS, tags=[{"key": "dagster/sensor_name", "value": sensor}])
    return data["runsOrError"]["results"]


@pytest.fixture(scope="module")
def first_sync(stack: Stack) -> dict:
    """README step 1: the initial_sync_sensor's run, waited for."""
    ui = stack.ui
    runs = wait_for("the sensor's run", lambda: sensor_runs(ui, "initial_sync_sensor"), 120)
    (run,) = runs  # one run, whatever the sensor's later ticks
    assert ui.wait_run(run["runId"]) == "SUCCESS"
    return run


@pytest.fixture(scope="module")
def launched(stack: Stack, first_sync: dict) -> Stack:
    """Every later README step and every job, launched together as a user could.

    The README's edit goes first and its webhook run is waited for: a sync launched beside
    it would list the edited items too, and the webhook would then find them current."""
    edited = stack.sandbox.mutate("items", "update", count=2)  # the README's curl
    stack.changed = [str(r["id"]) for r in edited["records"]]
    wait_for("the edit's webhook events applied", lambda: webhook_events_done(stack), 120)
    ui, executable = stack.ui, [k for k, ok in stack.ui.asset_keys().items() if ok]
    stack.backfills["all"] = ui.launch_backfill(executable, all_partitions=True)
    stack.backfills["invoices"] = ui.launch_backfill(["invoices"], RANGE)
    for argv in cli_commands():  # the jobs the README has a user start, with its config
        config = argv[argv.index("-c") + 1] if "-c" in argv else None
        run_config = yaml.safe_load((ROOT / config).read_text()) if config else None
        stack.runs[job_of(argv)] = ui.launch_run(job_of(argv), run_config)
    return stack


def webhook_events_done(stack: Stack) -> bool:
    query = "SELECT status FROM tds_sync_queue WHERE zoho_entity_id IN :ids"
    with get_engine(stack.db_url).connect() as conn:
        statuses = (
            conn.execute(
                text(query).bindparams(bindparam("ids", expanding=True)), {"ids": stack.changed}
            )
            .scalars()
            .all()
        )
    return len(statuses) == len(stack.changed) and set(statuses) == {"completed"}


def test_first_sync_starts_by_itself_and_materializes_every_asset(
    stack: Stack, first_sync: dict
) -> None:
    nodes = stack.ui.query(ASSET_NODES)["assetNodes"]
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    for key, node in by_key.items():
        if node["isExecutable"] and key != "consumer_catalog":  # not in the sync jobs
            assert node["assetMaterializations"], f"{key} was never materialized"
    deps = {k: {"/".join(d["path"]) for d in n["dependencyKeys"]} for k, n in by_key.items()}
    # line items hang off their document and name items; documents point at their party
    for parent in ("invoice", "bill", "credit_note", "sales_order", "inventory_adjustment",
                   "transfer_order", "estimate", "purchase_order", "vendor_credit"):  # fmt: skip
        assert deps[f"{parent}_line_items"] == {f"{parent}s", "products"}
    assert deps["invoices"] == {"customers"} and deps["bills"] == {"vendors"}
    assert deps["customer_payment_invoices"] == {"customer_payments"}
    assert deps["customers"] == {"zoho_users", "price_lists"}
    assert deps["contact_persons"] == {"customers", "vendors"}
    assert deps["product_prices"] == {"price_lists"}
    assert deps["product_warehouse_stock"] == {"products"}
    assert {"products", "product_prices"} <= deps["consumer_catalog"]


def test_every_job_launches_from_the_ui_with_no_partition(launched: Stack) -> None:
    for job, run_id in launched.runs.items():
        assert launched.ui.wait_run(run_id) == "SUCCESS", job


def test_materialize_all_is_one_run_for_the_documents(launched: Stack) -> None:
    backfill = launched.ui.wait_backfill(launched.backfills["all"])
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    ranged = [r for r in backfill["runs"] if "dagster/asset_partition_range_start" in tags(r)]
    # every document month in one run per wave of the lineage (never a run per month): the
    # Inventory documents after warehouses and products, the Books ones after the contacts
    assert 1 <= len(ranged) <= 2, ranged
    assert all(r["status"] == "SUCCESS" for r in backfill["runs"])


def test_invoices_alone_backfill_as_a_listing(launched: Stack) -> None:
    """README step 3: the documents' asset backfills without its line items (the other way
    round is tests/replication/test_dagster_assets.py)."""
    backfill = launched.ui.wait_backfill(launched.backfills["invoices"])
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    (run,) = backfill["runs"]
    events = materializations(launched.ui, run["runId"])
    assert {e["partition"] for e in events if key(e) == "invoices"} == set(RANGE)
    assert not [e for e in events if key(e) == "invoice_line_items"]
    calls = next(m for m in events[0]["metadataEntries"] if m["label"] == "zoho_calls_by_endpoint")
    assert "invoices" in calls["jsonString"]
    assert "invoices/{id}" not in calls["jsonString"]  # the listing made no detail call


def test_a_sandbox_edit_reaches_the_products_asset_through_the_sensor(launched: Stack) -> None:
    """README step 4: sandbox → receiver → queue → the webhook worker (or a run of the queue
    sensor between two workers) → asset."""
    ui = launched.ui

    def applied() -> list[dict]:
        runs = sensor_runs(ui, "webhook_worker_sensor") + [
            r for r in sensor_runs(ui, "webhook_queue_sensor") if r["status"] == "SUCCESS"
        ]
        found = [e for r in runs for e in materializations(ui, r["runId"])
                 if key(e) == "products"]  # fmt: skip
        return [e for e in found if all(z in str(e["metadataEntries"]) for z in launched.changed)]

    assert wait_for("a products materialization with the edited ids", applied, 120, every=2)


def test_the_rows_and_the_consumer_api_answer(launched: Stack) -> None:
    with get_engine(launched.db_url).connect() as conn:
        assert len(conn.execute(text(README_SQL)).all()) == 5
    resp = launched.consumer.get("/api/consumer/products")
    assert resp.status_code == 200 and resp.json()["total"] > 0


def test_the_first_investigation_is_critical_for_unpriced_stocked_items(launched: Stack) -> None:
    assert launched.ui.wait_run(launched.runs["daily_data_investigation"]) == "SUCCESS"
    resp = launched.receiver.get("/api/admin/data-investigation", params={"days": 7},
                                 headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip
    latest = resp.json()["reports"][0]
    assert latest["status"] == "critical", latest  # as the README says, and why
    assert "consumer_price_list_complete" in str(latest["data"])


def tags(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}


def key(event: dict) -> str:
    return "/".join(event["assetKey"]["path"])


def materializations(ui: DagsterUI, run_id: str) -> list[dict]:
    return ui.query(RUN_MATERIALIZATIONS, runId=run_id)["runOrError"]["assetMaterializations"]


SENSOR_RUNS = """query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) {
  ... on Runs { results { runId status } } } }"""
ASSET_NODES = """{ assetNodes { assetKey { path } isExecutable dependencyKeys { path }
  assetMaterializations(limit: 1) { runId } } }"""
RUN_MATERIALIZATIONS = """query($runId: ID!) { runOrError(runId: $runId) { ... on Run {
  assetMaterializations { assetKey { path } partition metadataEntries { label
    ... on JsonMetadataEntry { jsonString } ... on IntMetadataEntry { intValue } } } } } }"""
