"""The daily reconciliation: every entity listed whole and compared id by id, budget first.

`RECONCILE_MODE` picks what the investigation does: `repair` (default) finds and repairs,
`report` finds and writes nothing, `counts` keeps the one-call-per-entity count comparison
for the tightest plans. Before any call the cost is worked out from the last counts (the
last report's Zoho counts and the live rows, whichever is larger: a page of 200 per call,
plus a detail call per price book) and compared with what the daily budget has left before
the webhook reserve; a reconciliation that does not fit is refused with a finding saying so,
and the cheap counts are compared instead. Free of Dagster: `checks.py` shows the findings.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import desc, func, select
from sqlalchemy.engine import Engine

from tsh_db.schema import data_investigation_reports, products
from tsh_pipelines.entities import BY_NAME, ENTITIES
from tsh_pipelines.investigation import (
    COUNTED,
    ERROR,
    ERROR_PERCENT,
    OK,
    WARN,
    WARN_PERCENT,
    Finding,
    count_finding,
    count_findings,
)
from tsh_pipelines.sync.deletes import DeleteShareExceeded
from tsh_pipelines.sync.reconcile import (
    COUNTS,
    MODES,
    REPAIR,
    Drift,
    Log,
    calls_since,
    count_live,
)
from tsh_pipelines.sync.reconcile import reconcile_entity as reconcile_listed
from tsh_pipelines.sync.reconcile_catalog import reconcile_prices, reconcile_products
from tsh_pipelines.sync.reconcile_stock import reconcile_stock
from tsh_pipelines.zoho import (
    BOOKS,
    INVENTORY,
    PER_PAGE,
    ZohoBudgetExhausted,
    ZohoClient,
    ZohoError,
)

IDS_SHOWN = 50
# What a reconciliation reports on: the registry's entities, plus stock and prices by value.
# Every registry entity with a listing of its own (stock is the Inventory side of products),
# then the documents in registry order: adding a document to the registry reconciles it.
_OWN = ("products", "stock", "warehouses", "customers", "price_lists", "product_prices")
RECONCILED = (*_OWN, *(e.name for e in ENTITIES
                       if e.name not in (*_OWN, "product_warehouse_stock")))  # fmt: skip
ASSET = {"stock": "product_warehouse_stock"}  # check -> asset, where the name differs
# One listing serves two reports; the second one's calls are counted where they are made.
UNITS: dict[str, tuple[str, ...]] = {
    "products": ("products", "stock"),
    "price_lists": ("price_lists", "product_prices"),
}


def investigate_zoho(
    client: ZohoClient, engine: Engine, selected: set[str], log: Log
) -> list[Finding]:
    """The findings that need Zoho for the selected checks: reconciliations (budget
    permitting) and counts (from their listings when there were any)."""
    mode = reconcile_mode()
    names = [n for n in RECONCILED if f"{n}_reconciled" in selected]
    counted = tuple(n for n in COUNTED if f"{n}_count_matches_zoho" in selected)
    if mode == COUNTS or not names:
        said = f"not run: RECONCILE_MODE={mode} compares counts only"
        skipped = [Finding(f"{n}_reconciled", ASSET.get(n, n), OK, f"{n}: {said}",
                           {"reconciled": n, "mode": mode}) for n in names]  # fmt: skip
        return [*skipped, *count_findings(client, engine, counted)]
    units = units_for(set(names))
    budget = plan(client, engine, units)
    if budget.refusal:
        log.warning(budget.refusal)
        refused = f"{budget.refusal}; the counts were compared instead"
        return [*refused_findings(names, refused, budget),
                *count_findings(client, engine, counted)]  # fmt: skip
    drifts = reconcile(client, engine, units, mode == REPAIR, log)
    return [*(drift_finding(drifts[n], mode) for n in names),
            *listed_counts(client, engine, drifts, counted)]  # fmt: skip


def reconcile_stock_levels(client: ZohoClient, engine: Engine, log: Log) -> tuple[Finding, Drift]:
    """The hourly stock job: the Inventory listing against every live product, repaired."""
    budget = plan(client, engine, ["stock"])
    if budget.refusal:
        log.warning(budget.refusal)
        return refused_findings(["stock"], budget.refusal, budget)[0], Drift("stock")
    drift = reconcile(client, engine, ["stock"], True, log)["stock"]
    return drift_finding(drift, REPAIR), drift


def reconcile_mode() -> str:
    mode = os.environ.get("RECONCILE_MODE", REPAIR).strip().lower()
    if mode not in MODES:
        raise ValueError(f"RECONCILE_MODE={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def units_for(names: set[str]) -> list[str]:
    """The listings to run for the reports asked for, in registry order."""
    out = []
    for name in RECONCILED:
        unit = next((u for u, reports in UNITS.items() if name in reports), name)
        if name in names and unit not in out:
            out.append(unit)
    return out


@dataclass
class Plan:
    cost: Counter[str] = field(default_factory=Counter)  # api -> calls
    left: dict[str, int] = field(default_factory=dict)  # api -> calls left before the reserve

    @property
    def refusal(self) -> str | None:
        short = [api for api, n in self.cost.items() if n > self.left.get(api, 0)]
        if not short:
            return None
        need = ", ".join(
            f"{self.cost[a]:,} {a.title()} calls ({self.left[a]:,} left)" for a in short
        )
        return (
            f"reconciliation not run: it needs about {need} before the webhook reserve "
            f"(ZOHO_WEBHOOK_RESERVE) of today's budget, so nothing was read or changed. Raise "
            f"ZOHO_{short[0].upper()}_DAILY_LIMIT if the plan allows, or set "
            "RECONCILE_MODE=counts (the stock job: a slower ZOHO_STOCK_RECONCILE_CRON)"
        )


def plan(client: ZohoClient, engine: Engine, units: list[str]) -> Plan:
    """The calls the listings of `units` cost, from the last counts; and what is left."""
    last = _last_counts(engine)
    out = Plan()
    for unit in units:
        entity = BY_NAME["products" if unit == "stock" else unit]
        n = max(last.get(entity.name, 0), count_live(engine, entity))
        if unit == "stock":  # the Inventory listing alone
            out.cost[INVENTORY] += _pages(n)
        elif unit == "products":
            live_books = (products.c.source == BOOKS) & products.c.deleted_at.is_(None)
            with engine.connect() as conn:
                books = conn.scalar(select(func.count()).where(live_books))
            out.cost[BOOKS] += _pages(books or 0)
            out.cost[INVENTORY] += _pages(n)
        elif unit == "price_lists":
            out.cost[BOOKS] += _pages(n) + n
        else:
            out.cost[entity.api] += _pages(n)
    out.left = {api: client.limiter.remaining_today(api) for api in out.cost}
    return out


def _pages(n: int) -> int:
    return max(1, ceil(n / PER_PAGE))


def _last_counts(engine: Engine) -> dict[str, int]:
    r = data_investigation_reports
    with engine.connect() as conn:
        data = conn.scalar(select(r.c.report_data).order_by(desc(r.c.id)).limit(1)) or {}
    entities = data.get("entities") or {}
    return {k: int(v.get("zoho_count") or 0) for k, v in entities.items() if isinstance(v, dict)}


def reconcile(
    client: ZohoClient, engine: Engine, units: list[str], repair: bool, log: Log
) -> dict[str, Drift]:
    """Each unit's listing and repairs; a spent budget or a refused delete stops that unit
    (what it wrote stays: each write went through the write path) and, for the budget, the
    units after it."""
    drifts: dict[str, Drift] = {}
    stopped: str | None = None
    for unit in units:
        reports = UNITS.get(unit, (unit,))
        if stopped:
            drifts.update({r: Drift(r, error=stopped) for r in reports})
            continue
        before = Counter(client.stats.calls)
        try:
            found = _run_unit(client, engine, unit, repair, log)
        except ZohoBudgetExhausted as exc:
            stopped = f"stopped: {exc}"
            found = tuple(Drift(r, error=stopped) for r in reports)
        except (DeleteShareExceeded, ZohoError) as exc:  # this unit only: the others still run
            found = tuple(Drift(r, error=str(exc)) for r in reports)
        # the unit's calls, less those a second report counted itself, go to the first
        rest = calls_since(client, before)
        for drift in found[1:]:
            rest.subtract(drift.calls)
        found[0].calls = {k: n for k, n in rest.items() if n > 0}
        drifts.update({d.entity: d for d in found})
    return drifts


def _run_unit(
    client: ZohoClient, engine: Engine, unit: str, repair: bool, log: Log
) -> tuple[Drift, ...]:
    if unit == "products":
        return reconcile_products(client, engine, repair=repair, log=log)
    if unit == "price_lists":
        return reconcile_prices(client, engine, repair=repair, log=log)
    if unit == "stock":
        return (reconcile_stock(client, engine, repair=repair, log=log)[0],)
    return (reconcile_listed(client, engine, BY_NAME[unit], repair=repair, log=log),)


def drift_finding(drift: Drift, mode: str) -> Finding:
    """Severity by the share found (measured before repair); anything left undone warns."""
    name, base = drift.entity, max(drift.listed, drift.live, 1)
    pct = round(drift.drifted / base * 100, 2)
    severity = ERROR if pct > ERROR_PERCENT else WARN if pct > WARN_PERCENT else OK
    left = drift.unrepaired if mode == REPAIR else 0
    if severity == OK and (drift.error or left):
        severity = WARN
    found = {k: len(v) for k, v in drift.found.items() if v}
    repaired = {k: n for k, n in drift.repaired.items() if n}
    said = ", ".join(f"{n:,} {k}" for k, n in found.items()) or "no difference"
    summary = f"{name}: {drift.listed:,} in Zoho, {drift.live:,} live here; {said} ({pct}%)"
    if mode == REPAIR and found:
        summary += f"; repaired {sum(repaired.values()):,}" + (f", {left:,} left" if left else "")
    elif found:
        summary += "; report mode: nothing written"
    if drift.error:
        summary = f"{name}: {drift.error}" if not drift.listed else f"{summary}; {drift.error}"
    meta = {
        "reconciled": name, "mode": mode, "zoho_listed": drift.listed, "live_before": drift.live,
        "found": found, "repaired": repaired, "unrepaired": left, "drift_percentage": pct,
        **{f"{k}_ids": v[:IDS_SHOWN] for k, v in drift.found.items() if v},
        "zoho_calls": sum(drift.calls.values()), "zoho_calls_by_endpoint": drift.calls,
    }  # fmt: skip
    if drift.error:
        meta["error"] = drift.error
    return Finding(f"{name}_reconciled", ASSET.get(name, name), severity, summary, meta)


def listed_counts(
    client: ZohoClient, engine: Engine, drifts: dict[str, Drift], names: tuple[str, ...]
) -> list[Finding]:
    """The count checks from the listings just made (no extra call), after any repair; an
    entity whose listing did not finish is counted by Zoho instead."""
    out = []
    for name in names:
        drift, entity = drifts.get(name), BY_NAME[name]
        if drift is None or drift.error:
            out += count_findings(client, engine, (name,))
        else:
            out.append(count_finding(entity, drift.listed, count_live(engine, entity)))
    return out


def refused_findings(names: list[str], reason: str, budget: Plan) -> list[Finding]:
    meta = {"mode": "refused", "estimated_calls": dict(budget.cost), "calls_left": budget.left}
    return [
        Finding(
            f"{n}_reconciled", ASSET.get(n, n), WARN, f"{n}: {reason}", {"reconciled": n, **meta}
        )
        for n in names
    ]


__all__ = ["RECONCILED", "Plan", "drift_finding", "investigate_zoho", "plan", "reconcile"]
