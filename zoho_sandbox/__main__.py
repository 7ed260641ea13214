"""`python -m zoho_sandbox --port 8090 --seed 7`: serve the sandbox with uvicorn."""

from __future__ import annotations

import argparse
import dataclasses
import time

import uvicorn

from .app import create_app
from .config import CHOICES, DEMO_CREDENTIALS, VALUED_BOOLS, SandboxConfig, check
from .deliveries import EVENT_IN, METHODS, SIGNINGS
from .webhooks import BODIES, ORDERS, DeliveryPolicy

INT_OPTIONS = (
    "seed",
    "items",
    "customers",
    "vendors",
    "invoices",
    "bills",
    "creditnotes",
    "salesorders",
    "inventory_only_items",
    "inventory_adjustments",
    "transfer_orders",
    "customer_payments",
    "vendor_payments",
    "purchase_orders",
    "estimates",
    "vendor_credits",
    "expenses",
    "books_rpm",
    "inventory_rpm",
    "daily_limit",
    "max_concurrent",
    "token_ttl",
    "webhook_retries",
    "webhook_reorder_ms",
    "webhook_seed",
    "webhook_hold",
)
FLOAT_OPTIONS = (
    "rate_window",
    "token_lockout",
    "webhook_backoff",
    "webhook_repeat_rate",
    "webhook_drop_rate",
    "clock_skew",
)
STR_OPTIONS = (
    "webhook_url", "webhook_secret", "webhooks_off", "time_zone", "webhook_partial_fields",
)  # fmt: skip


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() == "true"


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, SandboxConfig]:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m zoho_sandbox", description="Local Zoho Books + Inventory simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)  # where the client looks by default
    for name, kind in [
        *((n, int) for n in INT_OPTIONS),
        *((n, float) for n in FLOAT_OPTIONS),
        *((n, str) for n in STR_OPTIONS),
        *((n, _bool) for n in VALUED_BOOLS),
    ]:
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, type=kind, default=getattr(defaults, name)
        )
    parser.add_argument(
        "--webhook-body",
        dest="webhook_body",
        choices=BODIES,
        default=defaults.webhook_body,
        help="json ({record_key: record}), jsonstring (JSONString=<json> form) or fields "
        "(entity parameters as a form); full and id_only are the old names, as json",
    )
    parser.add_argument("--webhook-id-only", action="store_true", help="send only the id")
    parser.add_argument(
        "--webhook-partial", action="store_true",
        help="a custom body: the id, last_modified_time and a few fields "
        "(--webhook-partial-fields a,b; default the name or number and status)",
    )  # fmt: skip
    parser.add_argument(
        "--webhook-order", dest="webhook_order", choices=ORDERS, default=defaults.webhook_order,
        help="reverse|shuffle: hold deliveries until --webhook-hold wait (0: until "
        "POST /_sandbox/webhooks/flush), then send them in that order",
    )  # fmt: skip
    for name, choices in (("method", METHODS), ("signing", SIGNINGS), ("event_in", EVENT_IN)):
        parser.add_argument(
            f"--webhook-{name.replace('_', '-')}", dest=f"webhook_{name}", choices=choices,
            default=getattr(defaults, f"webhook_{name}"),
        )  # fmt: skip
    parser.add_argument(
        "--webhook-no-route-param", action="store_true", help="send no ?route= parameter"
    )
    parser.add_argument(
        "--webhook-params", default="", help="extra query parameters, e.g. 'source=zoho&org=1'"
    )
    for name, choices in CHOICES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, choices=choices,
            default=getattr(defaults, name),
        )  # fmt: skip
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="turn per-minute, daily and concurrency limits off (benchmarks)",
    )
    args = parser.parse_args(argv)
    fields = {f.name for f in dataclasses.fields(SandboxConfig)}
    cfg = SandboxConfig(**{k: v for k, v in vars(args).items() if k in fields})
    try:
        check(cfg)  # e.g. an unknown --time-zone: say so now, not at the first timestamp
        DeliveryPolicy.from_config(cfg)  # refuse bad rates now, not at the first delivery
    except ValueError as exc:  # WebhookPolicyError included
        parser.error(str(exc))
    return args, cfg


# Zoho's own per-minute limits per organisation, which the sandbox enforces by default.
ZOHO_RPM = {"books": 100, "inventory": 25}


def limits_line(cfg: SandboxConfig) -> str:
    """The limits this sandbox enforces, and plainly whether they are Zoho's."""
    if cfg.no_limits:
        return "limits: none (--no-limits); real Zoho allows about 100 calls a minute on Books"
    window = "a minute" if cfg.rate_window == 60 else f"per {cfg.rate_window:g} s"
    line = (f"limits: Books {cfg.books_rpm:,} and Inventory {cfg.inventory_rpm:,} calls {window}, "
            f"{cfg.daily_limit:,} a day, {cfg.max_concurrent} in flight")  # fmt: skip
    per_minute = 60 / cfg.rate_window  # tests shrink the window: that raises the rate too
    if (cfg.books_rpm * per_minute > ZOHO_RPM["books"]
            or cfg.inventory_rpm * per_minute > ZOHO_RPM["inventory"]):  # fmt: skip
        line += (" (RAISED above Zoho's real limits of about 100 and 25 calls a minute: "
                 "a sync here runs faster than it would against Zoho)")  # fmt: skip
    return line


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse_args(argv)
    started = time.perf_counter()
    app = create_app(cfg)
    url = f"http://{args.host}:{args.port}"
    print(
        f"Zoho sandbox (seed {cfg.seed}) generated in {time.perf_counter() - started:.1f}s, "
        f"serving at {url}",
        flush=True,
    )
    print(f"  {limits_line(cfg)}", flush=True)
    print(
        f"  organisation: time zone {cfg.time_zone}, inventory by {cfg.inventory_mode}, "
        f"filter offsets {cfg.filter_offset}, Retry-After {cfg.retry_after}"
        + (f", clock skew {cfg.clock_skew:+g} s" if cfg.clock_skew else ""),
        flush=True,
    )
    print(f"  accounts/API base URL: {url}  (token: POST {url}/oauth/v2/token)", flush=True)
    for key, value in DEMO_CREDENTIALS.items():
        print(f"  {key}={value}", flush=True)
    # the app sends its own Date header, from the sandbox's (possibly skewed) clock
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                date_header=False)  # fmt: skip


if __name__ == "__main__":
    main()
