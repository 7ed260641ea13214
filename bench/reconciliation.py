"""8. Reconciliation: the daily id-by-id proof, clean and repairing 1 % drift.

The sandbox with its limits off, 100,000 items and 200,000 invoices, PostgreSQL. Set up, not
measured: a full list-level replication of products (the Books and Inventory item listings)
and invoices, per-warehouse stock loaded from the sandbox's control API, and every invoice
marked as having current line items (`details_modified_time`: the reconciliation reads that
column, not the line items, and 200,000 detail calls would only lengthen the set-up).
Measured in the same run, each with its own client: the count-only investigation
(`RECONCILE_MODE=counts`), a clean reconciliation (repair mode, nothing to repair), a
reconciliation repairing 1 % drift (made half in the replica, half in Zoho where no webhook
tells us, stock moves leaving `last_modified_time` alone), and a report-mode run after it,
which must find nothing.

    python -m bench.reconciliation [--items 100000 --invoices 200000]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Engine

from bench.common import (
    ROOMY,
    Timer,
    note,
    save,
    settings_for,
    setup_logging,
    sync_item_listings,
    table,
    temp_database,
    title,
)
from tsh_db.dialect import bulk_load
from tsh_db.engine import get_engine
from tsh_db.schema import invoices, product_warehouse_stock, products
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.investigation import count_findings
from tsh_pipelines.reconciliation import reconcile
from tsh_pipelines.sync.replicate import FULL_REFRESH, sync_entity
from tsh_pipelines.sync.stock import warehouse_rows
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.reconciliation")
AGE = (
    "UPDATE {} SET zoho_last_modified_time = zoho_last_modified_time - interval '1 day' "
    "WHERE zoho_id = ANY(:ids)"
)
UNITS = ["products", "invoices"]  # products: the Books listing, the Inventory listing, stock
INVOICES_LIST_LEVEL = dataclasses.replace(BY_NAME["invoices"], detail_path=None, children=())


def measure(sandbox: SandboxProcess, engine: Engine, run: Callable[[ZohoClient], Any]) -> dict:
    with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
        timer = Timer()
        result = run(client)
        by_api = {api: sum(o.values()) for api, o in client.stats.by_api().items()}
        return {"result": result, "seconds": timer.seconds, "calls": by_api}


def load(sandbox: SandboxProcess, engine: Engine) -> float:
    """The replica as the syncs leave it (set-up: the seconds are printed, not compared)."""
    timer = Timer()
    with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
        sync_item_listings(client, engine, log)
        sync_entity(client, engine, INVOICES_LIST_LEVEL, mode=FULL_REFRESH, log=log)
    now = utcnow()
    rows = [row for item in sandbox.records("items")
            for row in warehouse_rows(item["item_id"], item, now)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            update(invoices).values(details_modified_time=invoices.c.zoho_last_modified_time)
        )
        bulk_load(conn, product_warehouse_stock, rows)
        conn.execute(update(products).values(
            warehouse_stock_modified_time=products.c.inventory_modified_time,
            warehouse_stock_synced_at=now))  # fmt: skip
    return timer.seconds


def make_drift(sandbox: SandboxProcess, engine: Engine, share: float) -> dict[str, int]:
    """`share` of each entity drifted, in equal parts of each kind; how many of each."""
    with engine.connect() as conn:
        stocked = (products.c.source == "books") & (products.c.stock_on_hand > 0)
        items = conn.scalars(
            select(products.c.zoho_id).where(stocked).order_by(products.c.zoho_id)
        ).all()
        docs = conn.scalars(select(invoices.c.zoho_id).order_by(invoices.c.zoho_id)).all()
    q_items, q_docs = round(len(items) * share / 4), round(len(docs) * share / 5)
    i, d = _slices(items, q_items, 3), _slices(docs, q_docs, 4)
    sandbox.mutate("stock", "update", ids=i[2])  # no webhook, no new last_modified_time
    sandbox.mutate("invoices", "update", ids=d[3])
    with engine.begin() as conn:
        for table_, lost, aged in ((products, i[0], i[1]), (invoices, d[0], d[1])):
            conn.execute(table_.delete().where(table_.c.zoho_id.in_(lost)))
            conn.execute(text(AGE.format(table_.name)), {"ids": list(aged)})
        conn.execute(update(invoices).where(invoices.c.zoho_id.in_(d[2]))
                     .values(details_modified_time=None))  # fmt: skip
        _invent(conn, products, q_items, "91")
        _invent(conn, invoices, q_docs, "92")
    return {"products": 4 * q_items, "invoices": 5 * q_docs}


def _slices(ids: list[str], size: int, parts: int) -> list[list[str]]:
    step = len(ids) // parts  # spread over the id range, not one block
    return [ids[k * step : k * step + size] for k in range(parts)]


def _invent(conn: Any, table_: Any, n: int, prefix: str) -> None:
    """Rows Zoho never had: live here, gone from Zoho (each must be confirmed by a 404)."""
    model = dict(conn.execute(select(table_).limit(1)).mappings().one())
    model.pop("id")
    rows = [{**model, "zoho_id": f"{prefix}{k:017d}"} for k in range(n)]
    conn.execute(insert(table_), rows)


def summary(drifts: dict) -> tuple[int, int]:
    return (sum(d.drifted for d in drifts.values()),
            sum(sum(d.repaired.values()) for d in drifts.values()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--share", type=float, default=0.01, help="drift made, per entity")
    args = parser.parse_args()
    setup_logging()
    title("8. Reconciliation: clean and with 1 % drift (baseline: the count-only investigation)")
    note(f"dataset: {args.items:,} items, {args.invoices:,} invoices; limits off; PostgreSQL")
    dataset = {"items": args.items, "invoices": args.invoices, "customers": 200, "vendors": 20,
               "bills": 10, "creditnotes": 10, "salesorders": 10}  # fmt: skip
    runs: dict[str, dict] = {}
    with SandboxProcess(startup_timeout=600, no_limits=True, stock_moves_bump_modified=False,
                        **dataset) as sandbox, temp_database("reconcile") as url:  # fmt: skip
        engine = get_engine(url)
        note(
            f"set-up (full list-level sync and stock per warehouse): {load(sandbox, engine):.0f} s"
        )
        names = ("products", "invoices")
        runs["counts only"] = measure(sandbox, engine, lambda c: count_findings(c, engine, names))
        runs["clean"] = measure(sandbox, engine, lambda c: reconcile(c, engine, UNITS, True, log))
        made = make_drift(sandbox, engine, args.share)
        note("drift made: " + ", ".join(f"{n:,} {k}" for k, n in made.items()))
        runs["1 % drift, repaired"] = measure(
            sandbox, engine, lambda c: reconcile(c, engine, UNITS, True, log))  # fmt: skip
        runs["report afterwards"] = measure(
            sandbox, engine, lambda c: reconcile(c, engine, UNITS, False, log))  # fmt: skip
    rows, out = [], {}
    for name, r in runs.items():
        found, repaired = summary(r["result"]) if name != "counts only" else (0, 0)
        books, inventory = r["calls"].get("books", 0), r["calls"].get("inventory", 0)
        rows.append([name, found, repaired, books, inventory, r["seconds"]])
        out[name] = {
            "found": found,
            "repaired": repaired,
            "calls": r["calls"],
            "seconds": r["seconds"],
        }
        if name != "counts only":
            out[name]["per_entity"] = {k: {"found": {x: len(v) for x, v in d.found.items()},
                                           "repaired": dict(d.repaired), "calls": d.calls}
                                       for k, d in r["result"].items()}  # fmt: skip
    table(["run", "found", "repaired", "Books calls", "Inventory calls", "seconds"], rows)
    save("reconciliation", {"dataset": dataset, "drift": made, "runs": out})


if __name__ == "__main__":
    main()
