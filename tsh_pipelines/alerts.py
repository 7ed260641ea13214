"""One alert per investigation run with findings: a Slack-compatible POST and/or an email.

A failing channel is logged and never fails the checks: the report row is already written.
"""

from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx

log = logging.getLogger(__name__)


def alert_text(report: dict[str, Any], run_url: str | None) -> str:
    lines = [f"TSH Zoho replica: {report['status'].upper()} ({report['timestamp']})"]
    for d in report["discrepancies"]:
        lines.append(f"• [{d['severity']}] {d['summary']}")
        if d.get("missing"):
            lines.append("    missing: " + "; ".join(d["missing"][:5]))
        lines += _ids_found(d)
    if run_url:
        lines.append(f"Dagster run: {run_url}")
    return "\n".join(lines)


def _ids_found(discrepancy: dict[str, Any], shown: int = 5) -> list[str]:
    """A reconciliation's first ids of each kind found (`missing_ids`, `stale_ids`, ...)."""
    found = discrepancy.get("found") or {}
    lines = []
    for key, ids in discrepancy.items():
        if key.endswith("_ids") and ids:
            more = found.get(key[:-4], len(ids)) - shown
            lines.append(f"    {key[:-4]}: " + ", ".join(ids[:shown])
                         + (f" (+{more:,} more)" if more > 0 else ""))  # fmt: skip
    return lines


def send_alerts(
    report: dict[str, Any],
    run_url: str | None,
    logger: logging.Logger | logging.LoggerAdapter = log,
) -> dict[str, str]:
    """Deliver to every configured channel; nothing is sent when the report is healthy."""
    if report["status"] == "healthy":
        return {}
    text = alert_text(report, run_url)
    results: dict[str, str] = {}
    url = os.environ.get("ALERT_WEBHOOK_URL")
    if url:
        results["webhook"] = _deliver(logger, "webhook", lambda: _post(url, text, report))
    if os.environ.get("SMTP_HOST") and os.environ.get("SMTP_TO"):
        results["email"] = _deliver(logger, "email", lambda: _mail(text, report["status"]))
    return results


def _deliver(logger: logging.Logger | logging.LoggerAdapter, channel: str, send: Any) -> str:
    try:
        send()
    except Exception as exc:  # an alert channel must never fail the investigation
        logger.warning("alert via %s failed: %s", channel, type(exc).__name__)
        return "failed"
    return "sent"


def _post(url: str, text: str, report: dict[str, Any]) -> None:
    # Slack's incoming webhooks read `text`; the rest is there for other receivers.
    body = {"text": text, "status": report["status"], "discrepancies": report["discrepancies"]}
    httpx.post(url, json=body, timeout=10).raise_for_status()


def _mail(text: str, status: str) -> None:
    env = os.environ.get
    msg = EmailMessage()
    msg["Subject"] = f"[TSH Zoho replica] data investigation: {status}"
    msg["From"] = env("SMTP_FROM", "tsh-zoho-sync@localhost")
    msg["To"] = env("SMTP_TO", "")
    msg.set_content(text)
    with smtplib.SMTP(
        env("SMTP_HOST", "localhost"), int(env("SMTP_PORT", "25")), timeout=10
    ) as smtp:
        if env("SMTP_STARTTLS", "false").lower() == "true":
            smtp.starttls()
        if env("SMTP_USER"):
            smtp.login(env("SMTP_USER", ""), env("SMTP_PASSWORD", ""))
        smtp.send_message(msg)
