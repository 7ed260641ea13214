"""The daily data investigation: Zoho against the replica, the consumer price list, freshness
and token health, summarised in one `data_investigation_reports` row.

Free of Dagster: `checks.py` turns each finding into an asset check result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select
from sqlalchemy.engine import Engine

from tsh_db.schema import (
    data_investigation_reports,
    price_lists,
    product_prices,
    products,
    tds_sync_runs,
)
from tsh_db.types import utcnow
from tsh_pipelines.entities import BY_NAME, ENTITIES, Entity
from tsh_pipelines.sync.reconcile import count_live, scope_of
from tsh_pipelines.zoho import INVENTORY, ZohoBudgetExhausted, ZohoClient

WARN_PERCENT = float(os.environ.get("INVESTIGATION_WARN_PERCENT", "1.0"))
ERROR_PERCENT = float(os.environ.get("INVESTIGATION_ERROR_PERCENT", "5.0"))
FRESHNESS = timedelta(minutes=int(os.environ.get("FRESHNESS_MAX_MINUTES", "60")))
CONSUMER_CODE = os.environ.get("CONSUMER_PRICELIST_CODE", "consumer_iqd")
MIN_STOCK = float(os.environ.get("CONSUMER_MIN_STOCK", "1"))
OFFENDERS_SHOWN = 20
HEALTHY, WARNING, CRITICAL = "healthy", "warning", "critical"
OK, WARN, ERROR = "ok", "warn", "error"
BAGHDAD = ZoneInfo("Asia/Baghdad")

# Every registry entity with a listing of its own (stock is counted with products).
COUNTED = ("products", "customers", "warehouses", "price_lists",
           *(e.name for e in ENTITIES if e.name not in (
               "products", "customers", "warehouses", "price_lists", "product_warehouse_stock",
           )))  # fmt: skip
FRESH = {"products": "products", "product_warehouse_stock": "product_warehouse_stock",
         "invoices": "invoices"}  # fmt: skip


@dataclass
class Finding:
    check: str
    asset: str
    severity: str  # ok | warn | error
    summary: str
    metadata: dict[str, Any] = field(default_factory=dict)


def zoho_count(client: ZohoClient, entity: Entity) -> int:
    """One call per entity. Products are counted in Inventory, which holds every item;
    documents from the history start, the replica's scope."""
    if entity.name == "products":
        return client.count(INVENTORY, "items", "items", "item_id", {"filter_by": "Status.All"})
    params = dict(entity.list_params)
    start = scope_of(entity)
    if start is not None:
        params["date_start"] = start.isoformat()
    return client.count(entity.api, entity.path, entity.list_key, entity.id_field, params)


def count_finding(entity: Entity, zoho: int, db: int) -> Finding:
    difference = abs(zoho - db)
    pct = round(difference / zoho * 100, 2) if zoho else (100.0 if db else 0.0)
    severity = ERROR if pct > ERROR_PERCENT else WARN if pct > WARN_PERCENT else OK
    return Finding(
        f"{entity.name}_count_matches_zoho", entity.name, severity,
        f"{entity.name}: Zoho {zoho:,}, database {db:,}, difference {difference:,} ({pct}%)",
        {"entity": entity.name, "zoho_count": zoho, "db_count": db, "difference": difference,
         "discrepancy_percentage": pct},
    )  # fmt: skip


def count_findings(
    client: ZohoClient, engine: Engine, names: tuple[str, ...] = COUNTED
) -> list[Finding]:
    """Zoho's count against the live rows, both in the same scope (documents from
    ZOHO_HISTORY_START); an entity the daily budget has no call left for says so."""
    findings = []
    for name in names:
        entity = BY_NAME[name]
        try:
            zoho = zoho_count(client, entity)
        except ZohoBudgetExhausted as exc:
            findings.append(Finding(f"{name}_count_matches_zoho", name, WARN,
                                    f"{name}: not counted: {exc}", {"entity": name}))  # fmt: skip
            continue
        findings.append(count_finding(entity, zoho, count_live(engine, entity)))
    return findings


def consumer_price_finding(engine: Engine) -> Finding:
    """The handbook's deployment gate: every active product with stock has a consumer price."""
    with engine.connect() as conn:
        plist = conn.execute(
            select(price_lists.c.zoho_id, price_lists.c.currency_code)
            .where(price_lists.c.code == CONSUMER_CODE, price_lists.c.deleted_at.is_(None))
        ).first()  # fmt: skip
        if plist is None or (plist.currency_code or "").upper() != "IQD":
            live = [f"{r.name} ({r.code})" for r in conn.execute(
                select(price_lists.c.name, price_lists.c.code)
                .where(price_lists.c.deleted_at.is_(None)).order_by(price_lists.c.code)
            )]  # fmt: skip
            summary = (
                f"no live price list has code {CONSUMER_CODE} (CONSUMER_PRICELIST_CODE), so the "
                f"consumer app shows nothing; live price lists: {', '.join(live) or 'none'}"
                if plist is None else
                f"price list {CONSUMER_CODE} is in {plist.currency_code}, not IQD"
            )  # fmt: skip
            return Finding("consumer_price_list_complete", "product_prices", ERROR, summary,
                           {"price_list": CONSUMER_CODE, "live_price_lists": live})  # fmt: skip
        priced = and_(
            product_prices.c.product_zoho_id == products.c.zoho_id,
            product_prices.c.price_list_zoho_id == plist.zoho_id,
            product_prices.c.deleted_at.is_(None),
            product_prices.c.price > 0,
        )
        offenders = conn.execute(
            select(products.c.zoho_id, products.c.sku, products.c.name)
            .where(products.c.is_active, products.c.deleted_at.is_(None),
                   products.c.actual_available_stock >= MIN_STOCK,
                   ~select(product_prices.c.id).where(priced).exists())
            .order_by(products.c.sku)
        ).all()  # fmt: skip
    shown = [f"{o.sku} {o.name} ({o.zoho_id})" for o in offenders[:OFFENDERS_SHOWN]]
    return Finding(
        "consumer_price_list_complete", "product_prices", ERROR if offenders else OK,
        f"{len(offenders)} active products with stock have no {CONSUMER_CODE} price above zero",
        {"price_list": CONSUMER_CODE, "missing_count": len(offenders), "missing": shown},
    )  # fmt: skip


def freshness_findings(
    engine: Engine, assets: tuple[str, ...] = tuple(FRESH), now: datetime | None = None
) -> list[Finding]:
    """A sync that silently stopped shows up as a stale entity."""
    now = now or utcnow()
    findings = []
    for asset in assets:
        entity = FRESH[asset]
        with engine.connect() as conn:
            last = conn.scalar(
                select(func.max(tds_sync_runs.c.completed_at)).where(
                    tds_sync_runs.c.entity_type == entity, tds_sync_runs.c.status == "completed")
            )  # fmt: skip
        age = (now - last) if last else None
        stale = age is None or age > FRESHNESS
        findings.append(Finding(
            f"{asset}_is_fresh", asset, WARN if stale else OK,
            f"{asset}: last completed sync {'never' if last is None else f'{age} ago'}",
            {"last_sync": last.isoformat() if last else "never",
             "max_age_minutes": FRESHNESS.total_seconds() / 60},
        ))  # fmt: skip
    return findings


def token_finding(client: ZohoClient) -> Finding:
    try:
        expires = client.tokens.health()
    except Exception as exc:  # the finding carries the reason; secrets never appear in it
        return Finding("zoho_token_health", "products", ERROR, f"no Zoho token: {exc}")
    return Finding("zoho_token_health", "products", OK, "a Zoho token is available",
                   {"token_expires_at": expires.isoformat() if expires else "unknown"})  # fmt: skip


def report(findings: list[Finding], now: datetime | None = None) -> dict[str, Any]:
    """The handbook's report shape: timestamp, status, discrepancies, entities."""
    worst = {f.severity for f in findings}
    status = CRITICAL if ERROR in worst else WARNING if WARN in worst else HEALTHY
    return {
        "timestamp": (now or utcnow()).isoformat(),
        "status": status,
        "discrepancies": [
            {"check": f.check, "severity": f.severity, "summary": f.summary, **f.metadata}
            for f in findings if f.severity != OK
        ],
        "entities": {f.metadata["entity"]: f.metadata for f in findings if "entity" in f.metadata},
        "reconciliation": {f.metadata["reconciled"]: f.metadata for f in findings
                           if "reconciled" in f.metadata},
        "checks": {f.check: {"severity": f.severity, "summary": f.summary} for f in findings},
    }  # fmt: skip


def save_report(engine: Engine, data: dict[str, Any], run_id: str | None) -> int:
    now = utcnow()
    with engine.begin() as conn:
        return conn.execute(
            insert(data_investigation_reports).values(
                report_date=now.astimezone(BAGHDAD).date(), status=data["status"], report_data=data,
                dagster_run_id=run_id, created_at=now,
            ).returning(data_investigation_reports.c.id)
        ).scalar_one()  # fmt: skip
