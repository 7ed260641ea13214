"""Sandbox configuration and the demo credentials every client uses against it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import load_zone

ORG_ID = "10234695"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REFRESH_TOKEN = "sandbox-refresh-token"

DEMO_CREDENTIALS: dict[str, str] = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH_TOKEN,
    "organization_id": ORG_ID,
}


@dataclass
class SandboxConfig:
    """Everything the CLI can set; defaults mirror the CLI defaults."""

    seed: int = 1
    items: int = 500
    customers: int = 200
    vendors: int = 30
    invoices: int = 2000
    bills: int = 300
    creditnotes: int = 100
    salesorders: int = 300
    inventory_only_items: int = 5
    inventory_adjustments: int = 30
    transfer_orders: int = 15
    # issue 24's modules: unless given, in proportion to the invoices and bills (the demo's
    # 2,000 and 300 give 200, 40, 50, 80, 20, 150), so a small test world stays small; each
    # payment, purchase order, estimate and vendor credit costs a detail call
    customer_payments: int | None = None
    vendor_payments: int | None = None
    purchase_orders: int | None = None
    estimates: int | None = None
    vendor_credits: int | None = None
    expenses: int | None = None
    books_rpm: int = 100
    rate_window: float = 60.0  # seconds of the "per-minute" window; tests shrink it
    inventory_rpm: int = 25
    daily_limit: int = 10000
    max_concurrent: int = 10
    no_limits: bool = False
    token_ttl: int = 3600
    token_lockout: float = 900.0
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_retries: int = 8
    webhook_backoff: float = 0.5
    # delivery misbehaviour at start (POST /_sandbox/webhooks changes it at run time)
    webhook_body: str = "json"  # json | jsonstring | fields (full | id_only: the old names)
    webhook_id_only: bool = False
    # a custom body: the id, last_modified_time and a few fields (comma-separated names, or
    # the record's name or number and status)
    webhook_partial: bool = False
    webhook_partial_fields: str = ""
    # how the Zoho webhook form is filled in: method, signing, where the event goes,
    # whether ?route= is sent, extra query parameters (a query string)
    webhook_method: str = "POST"
    webhook_signing: str = "zoho"  # zoho | raw
    webhook_event_in: str = "query"  # query | header
    webhook_no_route_param: bool = False
    webhook_params: str = ""
    webhook_repeat_rate: float = 0.0
    webhook_reorder_ms: int = 0
    webhook_drop_rate: float = 0.0
    webhook_seed: int = 0
    # sent | reverse | shuffle: hold deliveries until `webhook_hold` wait (0: until
    # POST /_sandbox/webhooks/flush), then send them reversed or shuffled, one at a time
    webhook_order: str = "sent"
    webhook_hold: int = 0
    # sandbox entities (items, contacts, invoices, bills, creditnotes, stock, pricebooks),
    # comma-separated, whose changes fire no webhook at all
    webhooks_off: str = ""
    # Whether Zoho moves `last_modified_time` on a stock movement or a price-book rate edit
    # is unconfirmed: false leaves it alone, so only a full re-read can see the change.
    stock_moves_bump_modified: bool = False
    rate_edits_bump_modified: bool = True
    # whether a stock move sends the item's record to the `stock` webhook route (no such
    # Zoho webhook is known: off by default)
    stock_item_webhooks: bool = False
    # whether documents (invoices, bills, ...) move stock; false: only the hand `stock`
    # mutation does, as before issue 23 (for tests about something else)
    documents_move_stock: bool = True
    # where inventory adjustments' webhooks go: their own route, or `stock` as TSH's Zoho
    adjustments_route: str = "inventory-adjustments"  # inventory-adjustments | stock
    # whether customer/vendor payments and expenses honour last_modified_time (undocumented
    # for them): ignored lists every record as if unfiltered, refused answers code 2
    payments_modified_filter: str = "honoured"  # honoured | ignored | refused
    # whether the contacts listing filters on contact_type= (unconfirmed): ignored lists both
    contact_type_filter: str = "honoured"  # honoured | ignored
    # where vendor contacts' webhooks go: TSH's Contacts rule sends both types to customers
    vendors_route: str = "customers"  # customers | vendors
    # An organisation moved to Zoho Locations: per-location stock on the Inventory items
    # listing and `locations[]` instead of `warehouses[]` on the detail.
    inventory_mode: str = "warehouses"  # warehouses | locations
    # IANA zone of the organisation: rendered offsets, the quota's day, X-Rate-Limit-Reset
    time_zone: str = "Asia/Baghdad"
    # `ignored`: a filter's offset is dropped and its wall-clock time read in `time_zone`,
    # as connector users report of Zoho (unconfirmed)
    filter_offset: str = "honoured"  # honoured | ignored
    retry_after: str = "on"  # on | off: whether a 429 carries Retry-After (unconfirmed)
    # seconds the sandbox's clock reads ahead of real time (negative: behind); every wall-clock
    # reading goes through clock.now(), the HTTP Date header included
    clock_skew: float = 0.0

    def __post_init__(self) -> None:
        per = {"customer_payments": (self.invoices, 10), "vendor_payments": (self.bills * 2, 15),
               "purchase_orders": (self.bills, 6), "estimates": (self.invoices, 25),
               "vendor_credits": (self.bills, 15), "expenses": (self.invoices * 3, 40)}  # fmt: skip
        for name, (base, share) in per.items():
            if getattr(self, name) is None:
                setattr(self, name, base // share)


# Boolean settings that take a value on the command line (`--rate-edits-bump-modified false`).
VALUED_BOOLS = (
    "stock_moves_bump_modified",
    "rate_edits_bump_modified",
    "stock_item_webhooks",
    "documents_move_stock",
)
# Settings with a fixed set of values; `SandboxProcess(retry_after=False)` means "off".
CHOICES: dict[str, tuple[str, ...]] = {
    "inventory_mode": ("warehouses", "locations"),
    "filter_offset": ("honoured", "ignored"),
    "retry_after": ("on", "off"),
    "adjustments_route": ("inventory-adjustments", "stock"),
    "payments_modified_filter": ("honoured", "ignored", "refused"),
    "contact_type_filter": ("honoured", "ignored"),
    "vendors_route": ("customers", "vendors"),
}
ON_OFF = ("retry_after",)


def check(cfg: SandboxConfig) -> None:
    """Refuse a setting the sandbox cannot serve, at start-up rather than at the first call."""
    for name, allowed in CHOICES.items():
        if getattr(cfg, name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, "
                             f"not {getattr(cfg, name)!r}")  # fmt: skip
    load_zone(cfg.time_zone)
    if not math.isfinite(cfg.clock_skew):
        raise ValueError("clock_skew must be a finite number of seconds")
