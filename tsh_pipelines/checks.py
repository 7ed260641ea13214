"""Asset checks: the daily data investigation, one step that checks everything once.

A single multi-asset check keeps the investigation to one listing per entity (the
reconciliation, `reconciliation.py`; or one count call per entity with RECONCILE_MODE=counts),
one report row and one alert per run, while each finding still shows on its own asset in the UI.
"""
# No `from __future__ import annotations`: Dagster reads the resource types.

import os

import dagster as dg
from sqlalchemy.engine import Engine

from tsh_pipelines.alerts import send_alerts
from tsh_pipelines.catalog_check import CHECK as CATALOG_CHECK
from tsh_pipelines.catalog_check import consumer_catalog_finding
from tsh_pipelines.investigation import (
    COUNTED,
    ERROR,
    FRESH,
    OK,
    Finding,
    consumer_price_finding,
    freshness_findings,
    report,
    save_report,
    token_finding,
)
from tsh_pipelines.reconciliation import ASSET, RECONCILED, investigate_zoho
from tsh_pipelines.resources import DatabaseResource, ZohoResource

SPECS = [
    *(dg.AssetCheckSpec(f"{name}_count_matches_zoho", asset=name,
                        description=f"Zoho's count of {name} against live rows in the replica "
                        "(warn over 1%, error over 5%, configurable).") for name in COUNTED),
    *(dg.AssetCheckSpec(f"{name}_reconciled", asset=ASSET.get(name, name),
                        description=f"Every id and version of {name} in Zoho against the live "
                        "replica (missing, stale, extra, line items or stock or rates behind), "
                        "repaired through the write path (RECONCILE_MODE); severity by the share "
                        "found before repair.") for name in RECONCILED),
    dg.AssetCheckSpec("consumer_price_list_complete", asset="product_prices",
                      description="consumer_iqd exists, is in IQD, and every active product with "
                      "stock has a consumer price above zero (the consumer app's gate)."),
    dg.AssetCheckSpec(CATALOG_CHECK, asset="consumer_catalog",
                      description="The consumer catalogue holds exactly what the rules give from "
                      "the replica now; a difference is repaired by a rebuild."),
    *(dg.AssetCheckSpec(f"{asset}_is_fresh", asset=asset,
                        description="A completed sync within FRESHNESS_MAX_MINUTES.")
      for asset in FRESH),
    dg.AssetCheckSpec("zoho_token_health", asset="products",
                      description="A Zoho token can be obtained through the shared cache."),
]  # fmt: skip


@dg.multi_asset_check(specs=SPECS, name="data_investigation", can_subset=True)
def data_investigation(
    context: dg.AssetCheckExecutionContext, zoho: ZohoResource, database: DatabaseResource
):  # type: ignore[no-untyped-def]
    """All checks in the daily job; a materialization in the UI runs just its asset's checks
    (and then writes no report: a report is the whole investigation)."""
    selected = {key.name for key in context.selected_asset_check_keys}
    engine = database.engine()
    findings = []
    with zoho.client(engine, context.log) as client:
        if "zoho_token_health" in selected:
            findings.append(token_finding(client))
        findings += investigate_zoho(client, engine, selected, context.log)
        calls = client.stats.total
    if "consumer_price_list_complete" in selected:
        findings.append(consumer_price_finding(engine))
    if CATALOG_CHECK in selected:
        findings.append(consumer_catalog_finding(engine))
    findings += freshness_findings(engine, tuple(a for a in FRESH if f"{a}_is_fresh" in selected))
    if len(selected) == len(SPECS):
        _report_and_alert(context, engine, findings, calls)
    for f in findings:
        yield dg.AssetCheckResult(
            check_name=f.check, asset_key=f.asset, passed=f.severity == OK,
            severity=dg.AssetCheckSeverity.ERROR if f.severity == ERROR
            else dg.AssetCheckSeverity.WARN,
            description=f.summary, metadata=f.metadata,
        )  # fmt: skip


def _report_and_alert(
    context: dg.AssetCheckExecutionContext, engine: Engine, findings: list[Finding], calls: int
) -> None:
    data = {**report(findings), "zoho_calls": calls, "dagster_run_id": context.run.run_id}
    report_id = save_report(engine, data, context.run.run_id)
    ui = os.environ.get("DAGSTER_UI_URL")
    run_url = f"{ui.rstrip('/')}/runs/{context.run.run_id}" if ui else None
    sent = send_alerts(data, run_url, context.log)
    context.log.info("report %d: %s; alerts %s; %d Zoho calls", report_id, data["status"],
                     sent or "none", calls)  # fmt: skip


daily_data_investigation = dg.define_asset_job(
    "daily_data_investigation",
    selection=dg.AssetSelection.checks(data_investigation),
    description="Compares Zoho with the replica, checks consumer prices, freshness and the "
    "token, writes a data_investigation_reports row and alerts on findings.",
)

daily_data_investigation_schedule = dg.ScheduleDefinition(
    job=daily_data_investigation,
    cron_schedule="0 3 * * *",
    execution_timezone="Asia/Baghdad",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
