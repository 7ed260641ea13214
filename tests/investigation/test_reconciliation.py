"""Reconciliation: drift made on purpose in the replica and in Zoho (with changes no
`last_modified_time` reveals) is found id by id by the daily investigation, repaired through
the write path, and the next run is clean; the budget comes first; one history scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from tests.convergence.compare import compare
from tests.investigation.test_investigation import investigate
from tests.replication.helpers import live_rows, replicate_all
from tests.replication.test_dagster_assets import resources
from tsh_db.schema import (
    bills,
    customers,
    invoices,
    product_prices,
    product_warehouse_stock,
    products,
    tds_sync_runs,
    zoho_rate_limits,
)
from tsh_pipelines.definitions import defs
from tsh_pipelines.reconciliation import RECONCILED
from tsh_pipelines.resources import ZohoResource
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

SIZES = {"seed": 11, "items": 60, "inventory_only_items": 3, "customers": 20, "vendors": 5,
         "invoices": 230, "bills": 30, "creditnotes": 10, "salesorders": 15}  # fmt: skip
STOCK = ("stock_on_hand", "available_stock", "actual_available_stock")


@pytest.fixture(scope="module")
def drifting() -> Iterator[SandboxProcess]:
    """Stock movements and rate edits that move no `last_modified_time`; no webhook URL, so
    every Zoho change below is one no webhook announces."""
    with SandboxProcess(
        **SIZES, books_rpm=100_000, inventory_rpm=100_000,
        stock_moves_bump_modified=False, rate_edits_bump_modified=False,
        documents_move_stock=False,  # the drift below is the hand stock moves only
    ) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(drifting: SandboxProcess) -> SandboxProcess:
    drifting.reset()
    return drifting


def found(evals: dict[str, dg.AssetCheckEvaluation], key: str = "found") -> dict[str, Any]:
    """check -> {kind: ids found} (or repaired counts) for every reconciliation check."""
    out = {}
    for name in RECONCILED:
        meta = {k: v.value for k, v in evals[f"{name}_reconciled"].metadata.items()}
        if key == "found":
            out[name] = {k: set(meta[f"{k}_ids"]) for k in meta["found"]}
        else:
            out[name] = meta[key]
    return out


def make_drift(sb: SandboxProcess, engine: Engine) -> dict[str, dict[str, set[str]]]:
    """Every kind of drift, in the replica and in Zoho; what the reconciliation must find."""
    inv = sorted(r["invoice_id"] for r in sb.records("invoices"))
    contacts = sorted(r["contact_id"] for r in sb.records("contacts"))
    items = sb.records("items")
    stocked = sorted(r["item_id"] for r in items if r["stock_on_hand"] > 0)
    consumer = next(b for b in sb.records("pricebooks") if b["name"] == "Consumer")
    # Zoho: edits nobody is told about; stock and rates leave last_modified_time alone
    created = sb.mutate("invoices", "create")["records"][0]["id"]
    sb.mutate("contacts", "update", ids=[contacts[0]])
    gone = sb.mutate("salesorders", "delete")["records"][0]["id"]
    sb.mutate("stock", "update", ids=stocked[:2])
    repriced = sb.mutate("pricebooks", "update", count=2)["records"][0]["item_ids"]
    after = {r["item_id"]: r for r in sb.records("items")}
    moved = {z for z in stocked[:2] if any(after[z][c] != _stock(items, z)[c] for c in STOCK)}
    other_price = next(str(i["item_id"]) for i in consumer["pricebook_items"]
                       if str(i["item_id"]) not in repriced)  # fmt: skip
    fake_bill = "5400799999999999999"
    with engine.begin() as conn:  # the replica: rows lost, aged, invented, figures changed
        conn.execute(delete(invoices).where(invoices.c.zoho_id.in_(inv[:2])))
        conn.execute(update(invoices).where(invoices.c.zoho_id == inv[2])
                     .values(details_modified_time=None))  # fmt: skip
        c = customers.c
        aged = conn.scalar(select(c.zoho_last_modified_time).where(c.zoho_id == contacts[1]))
        conn.execute(update(customers).where(c.zoho_id == contacts[1])
                     .values(zoho_last_modified_time=aged - timedelta(days=1)))  # fmt: skip
        bill = dict(conn.execute(select(bills).limit(1)).mappings().one())
        bill.pop("id")
        conn.execute(insert(bills).values({**bill, "zoho_id": fake_bill}))
        conn.execute(delete(products).where(products.c.zoho_id == stocked[2]))
        conn.execute(update(products).where(products.c.zoho_id == stocked[3])
                     .values(stock_on_hand=12345))  # fmt: skip
        conn.execute(delete(product_warehouse_stock)
                     .where(product_warehouse_stock.c.product_zoho_id == stocked[4]))  # fmt: skip
        book = consumer["pricebook_id"]
        conn.execute(update(product_prices).where(product_prices.c.product_zoho_id == other_price,
                                                  product_prices.c.price_list_zoho_id == book)
                     .values(price=1))  # fmt: skip
    return {
        "invoices": {"missing": {*inv[:2], created}, "line_items": {inv[2]}},
        "customers": {"stale": set(contacts[:2])},
        "bills": {"extra": {fake_bill}},
        "sales_orders": {"extra": {gone}},
        "products": {"missing": {stocked[2]}},
        "stock": {"totals": {*moved, stocked[3]}, "warehouses": {stocked[4]}},
        "product_prices": {"wrong": {f"{book}:{i}" for i in [*repriced, other_price]}},
    }


def _stock(items: list[dict], item_id: str) -> dict:
    return next(r for r in items if r["item_id"] == item_id)


def test_every_kind_of_drift_is_found_exactly_repaired_and_the_next_run_is_clean(
    sb: SandboxProcess, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    replicate_all(sb, engine)
    assert compare(sb, engine).clean
    expected = {name: {} for name in RECONCILED} | make_drift(sb, engine)
    drifted = compare(sb, engine).totals()
    assert sum(drifted.values()) >= 10

    monkeypatch.setenv("RECONCILE_MODE", "report")
    evals, _ = investigate(sb, db_url)
    assert found(evals) == expected
    assert compare(sb, engine).totals() == drifted  # report mode wrote nothing

    monkeypatch.setenv("RECONCILE_MODE", "repair")
    evals, _ = investigate(sb, db_url)
    assert found(evals) == expected
    repaired = found(evals, "repaired")
    assert repaired == {
        n: {k: len(ids) for k, ids in kinds.items()} for n, kinds in expected.items()
    }
    assert not evals["invoices_reconciled"].passed  # 4 of 231: over the 1 % warning line
    assert evals["invoices_count_matches_zoho"].passed  # counted after the repair
    assert "repaired 4" in (evals["invoices_reconciled"].description or "")
    divergence = compare(sb, engine)
    assert divergence.clean, divergence.examples

    evals, calls = investigate(sb, db_url)
    assert all(evals[f"{n}_reconciled"].passed for n in RECONCILED)
    assert found(evals) == {name: {} for name in RECONCILED}
    zoho = {n: {k: v.value for k, v in evals[f"{n}_reconciled"].metadata.items()}["zoho_calls"]
            for n in RECONCILED}  # fmt: skip
    assert sum(zoho.values()) == calls  # every call of the clean run is on some check
    assert zoho["invoices"] == 2 and zoho["stock"] == 1  # listings only: 200 records a call


def test_a_budget_too_small_is_refused_clearly_and_changes_nothing(
    sb: SandboxProcess, db_url: str, engine: Engine
) -> None:
    replicate_all(sb, engine)
    doomed = sorted(live_rows(engine, "invoices"))[:5]  # 2 %: the counts warn
    with engine.begin() as conn:
        conn.execute(delete(invoices).where(invoices.c.zoho_id.in_(doomed)))
        conn.execute(delete(zoho_rate_limits))  # a new day on our side...
    sb.reset()  # ...and on Zoho's (same seed: the same records)
    res = {**resources(sb, db_url), "zoho": ZohoResource(
        **DEMO_CREDENTIALS, api_base_url=sb.url, accounts_url=sb.url, books_rpm=100_000,
        inventory_rpm=100_000, books_daily_limit=10,  # 8 calls before the webhook reserve
    )}  # fmt: skip
    before = compare(sb, engine).totals()
    job = defs.resolve_job_def("daily_data_investigation")
    result = job.execute_in_process(resources=res, raise_on_error=False)
    assert result.success
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in RECONCILED:
        check = evals[f"{name}_reconciled"]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert "reconciliation not run" in (check.description or "")
        assert "Books calls (8 left)" in (check.description or "")
    assert not evals["invoices_count_matches_zoho"].passed  # the counts still ran
    assert compare(sb, engine).totals() == before  # nothing written


def test_history_start_after_the_oldest_document_scopes_both_sides(
    sb: SandboxProcess, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOHO_HISTORY_START", "2026-01-01")
    replicate_all(sb, engine)  # the first incremental run respects the history start
    in_scope = {r["invoice_id"] for r in sb.records("invoices") if r["date"] >= "2026-01-01"}
    assert set(live_rows(engine, "invoices")) == in_scope
    assert len(in_scope) < len(sb.records("invoices"))
    for mode in ("counts", "repair"):
        monkeypatch.setenv("RECONCILE_MODE", mode)
        evals, _ = investigate(sb, db_url)
        count = evals["invoices_count_matches_zoho"]
        assert count.passed, count.description
        assert {k: v.value for k, v in count.metadata.items()}["zoho_count"] == len(in_scope)
        assert evals["invoices_reconciled"].passed, evals["invoices_reconciled"].description
    assert set(live_rows(engine, "invoices")) == in_scope  # nothing outside the scope came in


def test_stock_job_corrects_stock_that_no_version_reveals(
    sb: SandboxProcess, db_url: str, engine: Engine
) -> None:
    replicate_all(sb, engine)
    stocked = sorted(r["item_id"] for r in sb.records("items") if r["stock_on_hand"] > 0)
    sb.mutate("stock", "update", ids=stocked[:3])
    replicate_all(sb, engine)  # incremental: lists by last_modified_time, so sees nothing
    assert compare(sb, engine).stale["products"] > 0
    job = defs.resolve_job_def("stock_reconciliation")
    result = job.execute_in_process(resources=resources(sb, db_url))
    assert result.success
    divergence = compare(sb, engine)
    assert divergence.clean, divergence.examples
    observed = [e.event_specific_data.asset_observation for e in result.all_events  # type: ignore[union-attr]
                if e.event_type_value == "ASSET_OBSERVATION"]  # fmt: skip
    meta = {k: v.value for k, v in observed[0].metadata.items()}
    assert set(meta["totals_ids"]) <= set(stocked[:3]) and meta["repaired"]["totals"] >= 1
    with engine.connect() as conn:
        run = conn.execute(select(tds_sync_runs).where(
            tds_sync_runs.c.entity_type == "stock_reconciliation")).one()  # fmt: skip
    assert run.status == "completed" and run.api_calls == meta["zoho_calls"]


def test_every_incremental_run_rereads_the_rates(sb: SandboxProcess, engine: Engine) -> None:
    replicate_all(sb, engine)
    changed = sb.mutate("pricebooks", "update", count=3)["records"][0]
    totals, calls = replicate_all(sb, engine)  # the book's last_modified_time did not move
    assert totals["product_prices"].extra["rates_changed"] == 3
    assert calls["price_lists"] == 1 + len(sb.records("pricebooks"))  # listing + each book
    book = next(b for b in sb.records("pricebooks") if b["name"] == "Consumer")
    rates = {str(i["item_id"]): i["pricebook_rate"] for i in book["pricebook_items"]}
    pp = product_prices
    query = select(pp.c.product_zoho_id, pp.c.price).where(
        pp.c.price_list_zoho_id == book["pricebook_id"],
        pp.c.product_zoho_id.in_(changed["item_ids"]),
    )
    with engine.connect() as conn:
        stored = dict(conn.execute(query).all())
    assert {k: float(v) for k, v in stored.items()} == {z: rates[z] for z in changed["item_ids"]}
    assert compare(sb, engine).clean
