"""3. Incremental sync with no changes: Zoho calls and time per registry entity.

Every entity of the registry is first synced in full (`full_refresh`, the weekly job's mode),
then incrementally with nothing changed in Zoho, each as its asset syncs it
(`bench.common.sync_as_asset`) with a client of its own, as every Dagster step has. The full
sync of the same run is the baseline each incremental figure is set against. Limits off, so
the times are our own overhead.

Goal: at most one call per entity (its listing from the watermark), none for a settings
listing within its `refresh_hours`. By design: price books are listed whole and each book's
detail read on every run (Zoho gives them no cursor), so `price_lists` is 1 + the books; and
the organisation's record (its time zone, which cursors are written in) is read once when
the first cursor is sent, then kept a day (`zoho_organizations`): shown on a line of its own.

    python -m bench.incremental
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine

from bench.common import (
    ROOMY,
    Timer,
    note,
    save,
    settings_for,
    setup_logging,
    sync_as_asset,
    table,
    temp_database,
    title,
)
from tsh_db.engine import get_engine
from tsh_pipelines.entities import ENTITIES, Entity
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("bench.incremental")
ORGANISATION = "organisation (time zone)"
# A middling organisation: the proportions (bench/rate_limits.py) at about a sixth.
DATASET = {
    "items": 2000,
    "customers": 500,
    "vendors": 50,
    "invoices": 3000,
    "bills": 300,
    "creditnotes": 100,
    "salesorders": 300,
    "customer_payments": 900,
    "vendor_payments": 90,
    "purchase_orders": 75,
    "estimates": 120,
    "vendor_credits": 15,
    "expenses": 225,
    "inventory_adjustments": 45,
    "transfer_orders": 25,
}


def run(sandbox: SandboxProcess, engine: Engine, mode: str) -> dict[str, dict[str, Any]]:
    out = {}
    for entity in ENTITIES:
        with ZohoClient(settings_for(sandbox, **ROOMY), engine) as client:
            timer = Timer()
            totals = sync_as_asset(client, engine, entity, mode, log)
            by_endpoint = client.stats.by_endpoint()
            org = {k: by_endpoint.pop(k) for k in list(by_endpoint) if ":organizations" in k}
            if org:  # read by whichever entity sends the first cursor: not that entity's
                out[ORGANISATION] = {"calls": sum(org.values()), "by_endpoint": org,
                                     "seconds": 0.0, "records": 0, "fresh": False}  # fmt: skip
            out[entity.name] = {
                "calls": sum(by_endpoint.values()),
                "by_endpoint": by_endpoint,
                "seconds": timer.seconds,
                "records": totals.records,
                "fresh": bool(totals.extra.get("fresh")),
            }
    return out


def goal(entity: Entity, books: int) -> int:
    """The calls an incremental run with nothing changed should make of an entity (see the
    docstring); the organisation's one read is goal 1 on its own line."""
    if entity.refresh_hours:
        return 0
    return 1 + books if entity.name == "price_lists" else 1


def main() -> None:
    setup_logging()
    title("3. Incremental sync with no changes, per entity (baseline: the full sync before it)")
    note("dataset: " + ", ".join(f"{v:,} {k}" for k, v in DATASET.items()) + "; limits off")
    with SandboxProcess(no_limits=True, **DATASET) as sandbox, temp_database("incr") as url:
        books = len(sandbox.records("pricebooks"))
        engine = get_engine(url)
        full = run(sandbox, engine, FULL_REFRESH)
        incremental = run(sandbox, engine, INCREMENTAL)
    rows, over = [], []
    for entity in (*ENTITIES, None):
        name = entity.name if entity else ORGANISATION
        if name not in incremental:
            continue
        inc, f = incremental[name], full.get(name, {"calls": 0, "seconds": 0.0})
        want = goal(entity, books) if entity else 1
        if inc["calls"] > want:
            over.append(f"{name} ({inc['by_endpoint']})")
        listed = "fresh: not listed" if inc["fresh"] else ", ".join(
            f"{k} {v}" for k, v in sorted(inc["by_endpoint"].items())
        )  # fmt: skip
        rows.append([name, inc["calls"], want, inc["seconds"] * 1000, inc["records"],
                     f["calls"], f["seconds"] * 1000, listed])  # fmt: skip
    total = {k: sum(r[k] for r in incremental.values()) for k in ("calls", "seconds", "records")}
    goals = sum(goal(e, books) for e in ENTITIES) + (ORGANISATION in incremental)
    rows.append(["all", total["calls"], goals,
                 total["seconds"] * 1000, total["records"],
                 sum(f["calls"] for f in full.values()),
                 sum(f["seconds"] for f in full.values()) * 1000, ""])  # fmt: skip
    table(["entity", "incr calls", "goal", "incr ms", "incr records", "full calls", "full ms",
           "incremental calls by endpoint"], rows)  # fmt: skip
    note(
        f"{len(ENTITIES)} entities: {total['calls']} calls in all, "
        f"{incremental.get(ORGANISATION, {}).get('calls', 0)} of them the organisation's; "
        + (f"above the goal: {'; '.join(over)}" if over else "none above its goal")
    )
    note(
        "incremental listings ask for last_modified_time >= watermark - 2 min, so the newest "
        "records are listed again (and left unchanged); settings listings (no cursor) wait "
        "for their refresh_hours"
    )
    save("incremental", {"dataset": DATASET, "price_books": books, "full": full,
                         "incremental": incremental, "above_goal": over})  # fmt: skip


if __name__ == "__main__":
    main()
