"""The daily investigation against the sandbox: checks, one report row, one alert per run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from tests.replication.helpers import replicate_all
from tests.replication.test_dagster_assets import resources
from tsh_db.schema import (
    data_investigation_reports,
    invoices,
)
from tsh_pipelines.checks import daily_data_investigation, data_investigation
from tsh_pipelines.definitions import defs
from tsh_pipelines.entities import ENTITIES
from zoho_sandbox.process import SandboxProcess, free_port


class Sink:
    """A local HTTP endpoint that records every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                sink.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sink, Mailbox]]:
    sink, mailbox = Sink(), Mailbox()
    port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    for key, value in {"ALERT_WEBHOOK_URL": sink.url, "SMTP_HOST": "127.0.0.1",
                       "SMTP_PORT": str(port), "SMTP_TO": "ops@tsh.example",
                       "DAGSTER_UI_URL": "http://dagster.example"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    yield sink, mailbox
    smtp.stop()
    sink.server.shutdown()


def investigate(
    sandbox: SandboxProcess, db_url: str
) -> tuple[dict[str, dg.AssetCheckEvaluation], int]:
    before = zoho_calls(sandbox)
    job = defs.resolve_job_def(daily_data_investigation.name)
    result = job.execute_in_process(resources=resources(sandbox, db_url), raise_on_error=False)
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return evals, zoho_calls(sandbox) - before


def zoho_calls(sandbox: SandboxProcess) -> int:
    stats = sandbox.stats()["calls"]
    return sum(sum(s.values()) for api in stats.values() for s in api.values())


def reports(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(data_investigation_reports)).all()


def test_healthy_replica_passes_every_check_without_an_alert(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, channels: tuple[Sink, Mailbox]
) -> None:
    _price_every_stocked_product_in_zoho(fresh_sandbox)
    replicate_all(fresh_sandbox, engine)
    evals, calls = investigate(fresh_sandbox, db_url)
    failed = {k: v.description for k, v in evals.items() if not v.passed}
    assert failed == {}
    assert len(evals) == len(data_investigation.check_specs)
    # One listing per entity, 200 records a call, and a detail call per price book: the
    # counts come with the listings, and a clean replica needs no other call.
    assert calls == _listing_calls(fresh_sandbox)
    rows = reports(engine)
    assert [r.status for r in rows] == ["healthy"]
    assert rows[0].report_data["discrepancies"] == []
    assert channels[0].bodies == [] and channels[1].messages == []


def test_discrepancies_warn_with_exact_numbers_and_alert_once(
    fresh_sandbox: SandboxProcess,
    db_url: str,
    engine: Engine,
    channels: tuple[Sink, Mailbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECONCILE_MODE", "counts")  # the cheap mode: one count call each
    _price_every_stocked_product_in_zoho(fresh_sandbox)
    replicate_all(fresh_sandbox, engine)
    zoho_invoices = len(fresh_sandbox.records("invoices"))
    with engine.begin() as conn:
        doomed = conn.scalars(select(invoices.c.zoho_id).limit(4)).all()
        conn.execute(delete(invoices).where(invoices.c.zoho_id.in_(doomed)))
    fresh_sandbox.mutate("contacts", "create", count=1)  # 1 of 71: WARN, not ERROR
    evals, _ = investigate(fresh_sandbox, db_url)
    inv = evals["invoices_count_matches_zoho"]
    assert not inv.passed and inv.severity == dg.AssetCheckSeverity.WARN
    meta = {k: v.value for k, v in inv.metadata.items()}
    assert (meta["zoho_count"], meta["db_count"], meta["difference"]) == (
        zoho_invoices,
        zoho_invoices - 4,
        4,
    )
    assert meta["discrepancy_percentage"] == round(4 / zoho_invoices * 100, 2)
    assert not evals["customers_count_matches_zoho"].passed
    assert [r.status for r in reports(engine)] == ["warning"]
    sink, mailbox = channels
    assert len(sink.bodies) == 1 and len(mailbox.messages) == 1
    text = sink.bodies[0]["text"]
    assert f"Zoho {zoho_invoices:,}, database {zoho_invoices - 4:,}, difference 4" in text
    assert "http://dagster.example/runs/" in text and "customers" in text
    assert "difference 4" in mailbox.messages[0]


def test_product_with_stock_and_no_consumer_price_fails_naming_it(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, channels: tuple[Sink, Mailbox]
) -> None:
    consumer = _price_every_stocked_product_in_zoho(fresh_sandbox)
    victim = next(r for r in fresh_sandbox.records("items")
                  if r["status"] == "active" and r["actual_available_stock"] >= 1)  # fmt: skip
    fresh_sandbox.mutate("pricebooks", "update", ids=[consumer],
                         fields={"rates": {victim["item_id"]: 0}})  # fmt: skip
    replicate_all(fresh_sandbox, engine)
    evals, _ = investigate(fresh_sandbox, db_url)
    check = evals["consumer_price_list_complete"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in check.metadata.items()}
    assert meta["missing_count"] == 1 and victim["sku"] in meta["missing"][0]
    assert [r.status for r in reports(engine)] == ["critical"]


def test_failing_alert_channel_is_logged_and_does_not_fail_the_checks(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/nobody-home")
    replicate_all(fresh_sandbox, engine)  # no consumer prices fixed up: findings exist
    job = defs.resolve_job_def(daily_data_investigation.name)
    result = job.execute_in_process(resources=resources(fresh_sandbox, db_url))
    assert result.success
    assert [r.status for r in reports(engine)] == ["critical"]


def _price_every_stocked_product_in_zoho(sandbox: SandboxProcess) -> str:
    """The sandbox leaves some items out of the Consumer price book on purpose; price them in
    Zoho (a reconciliation would take back any price made up in the replica). Its id."""
    book = next(b for b in sandbox.records("pricebooks") if b["name"] == "Consumer")
    priced = {i["item_id"] for i in book["pricebook_items"] if i["pricebook_rate"] > 0}
    unpriced = {r["item_id"]: 1000 for r in sandbox.records("items") if r["item_id"] not in priced}
    sandbox.mutate("pricebooks", "update", ids=[book["pricebook_id"]], fields={"rates": unpriced})
    return book["pricebook_id"]


def _listing_calls(sandbox: SandboxProcess) -> int:
    def pages(n: int) -> int:
        return max(1, -(-n // 200))

    items = sandbox.records("items")
    books = [r for r in items if r["source"] == "books"]
    listed = [e for e in ENTITIES if e.name not in ("products", "product_warehouse_stock",
                                                    "price_lists", "warehouses")]  # fmt: skip
    return (pages(len(books)) + pages(len(items)) + 1  # items in Books and Inventory, warehouses
            + sum(pages(sum(1 for r in sandbox.records(e.path.rsplit("/", 1)[-1])
                            if e.keeps(r))) for e in listed)  # customers and vendors apart
            + 1 + len(sandbox.records("pricebooks")))  # fmt: skip


def test_no_live_price_list_with_the_consumer_code_is_said_plainly(
    fresh_sandbox: SandboxProcess, db_url: str, engine: Engine, channels: tuple[Sink, Mailbox]
) -> None:
    consumer = next(b for b in fresh_sandbox.records("pricebooks") if b["name"] == "Consumer")
    fresh_sandbox.mutate("pricebooks", "delete", ids=[consumer["pricebook_id"]])  # no new one
    replicate_all(fresh_sandbox, engine)
    evals, _ = investigate(fresh_sandbox, db_url)
    check = evals["consumer_price_list_complete"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in check.metadata.items()}
    assert "no live price list has code consumer_iqd" in check.description
    assert "Wholesale (wholesale_usd)" in ", ".join(meta["live_price_lists"])
