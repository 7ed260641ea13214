"""Switches for what Zoho's documentation leaves unconfirmed, changeable at run time
(`POST /_sandbox/switches`, a partial update) and restored from the start-up settings by
`reset`.

- `stock_moves_bump_modified` (default false): a stock move (a document's, or the hand
  `stock` mutation) moves the item's `last_modified_time` (Books and Inventory).
- `stock_item_webhooks` (default false): a stock move sends the item's Inventory record to
  the `stock` webhook route, as if Zoho announced stock changes (no such webhook is known).
- `rate_edits_bump_modified` (default true): a price-book rate edit moves the book's
  `last_modified_time`.
- `documents_move_stock` (default true): documents move stock; false leaves stock to the
  hand `stock` mutation alone (the sandbox before issue 23), for tests about other things.
- `adjustments_route` (`inventory-adjustments` | `stock`): where the inventory adjustments'
  workflow-rule webhook goes; TSH's own Zoho sends it to `stock`.
- `payments_modified_filter` (`honoured` | `ignored` | `refused`): how customer payments,
  vendor payments and expenses take `last_modified_time` (undocumented for them).
- `contact_type_filter` (`honoured` | `ignored`): whether the contacts listing filters on
  `contact_type=` (unconfirmed); ignored lists both types.
- `vendors_route` (`customers` | `vendors`): where vendor contacts' webhooks go; TSH's
  Contacts rule sends both types to `customers`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .config import SandboxConfig

ADJUSTMENT_ROUTES = ("inventory-adjustments", "stock")
# switches with a fixed set of values (the first is the default)
CHOICE_SWITCHES = {
    "adjustments_route": ADJUSTMENT_ROUTES,
    "payments_modified_filter": ("honoured", "ignored", "refused"),
    "contact_type_filter": ("honoured", "ignored"),
    "vendors_route": ("customers", "vendors"),
}
BOOL_SWITCHES = (
    "stock_moves_bump_modified",
    "stock_item_webhooks",
    "rate_edits_bump_modified",
    "documents_move_stock",
)


class SwitchError(ValueError):
    pass


@dataclass(frozen=True)
class Switches:
    stock_moves_bump_modified: bool = False
    stock_item_webhooks: bool = False
    rate_edits_bump_modified: bool = True
    adjustments_route: str = "inventory-adjustments"
    documents_move_stock: bool = True
    payments_modified_filter: str = "honoured"
    contact_type_filter: str = "honoured"
    vendors_route: str = "customers"

    @classmethod
    def from_config(cls, cfg: SandboxConfig) -> Switches:
        return cls(
            cfg.stock_moves_bump_modified,
            cfg.stock_item_webhooks,
            cfg.rate_edits_bump_modified,
            cfg.adjustments_route,
            cfg.documents_move_stock,
            cfg.payments_modified_filter,
            cfg.contact_type_filter,
            cfg.vendors_route,
        )

    def updated(self, body: dict[str, Any]) -> Switches:
        """These switches with the ones `body` names changed; SwitchError on a bad one."""
        unknown = set(body) - {*BOOL_SWITCHES, *CHOICE_SWITCHES}
        if unknown:
            raise SwitchError(f"unknown switch {', '.join(sorted(unknown))}")
        for name in BOOL_SWITCHES:
            if name in body and not isinstance(body[name], bool):
                raise SwitchError(f"{name} must be true or false")
        for name, allowed in CHOICE_SWITCHES.items():
            if name in body and body[name] not in allowed:
                raise SwitchError(f"{name} must be one of {', '.join(allowed)}")
        return replace(self, **body)

    def describe(self) -> dict[str, Any]:
        return asdict(self)
