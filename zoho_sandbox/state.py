"""Everything a running sandbox holds, so `reset` can rebuild it in one place."""

from __future__ import annotations

from typing import Any

from . import clock
from .auth import TokenManager
from .chaos import Chaos
from .config import SandboxConfig, check
from .faults import Faults
from .limits import Limits, Stats
from .mutations import Mutator
from .switches import Switches
from .webhooks import WebhookSender
from .world import World


class Sandbox:
    def __init__(self, cfg: SandboxConfig) -> None:
        check(cfg)
        self.cfg = cfg
        self.webhooks = WebhookSender(cfg)
        self.reset()

    def reset(self) -> None:
        """Seed data, counters, tokens, faults, chaos and webhook behaviour back to their
        state at start, the clock's skew and the organisation's zone included."""
        clock.set_time_zone(self.cfg.time_zone)  # before the world renders a single timestamp
        clock.set_skew(self.cfg.clock_skew)
        self.world = World(self.cfg)
        self.mutator = Mutator(self.world, Switches.from_config(self.cfg))
        self.tokens = TokenManager(self.cfg)
        self.limits = Limits(self.cfg)
        self.stats = Stats()
        self.faults = Faults()
        self.chaos = Chaos()
        self.webhooks.cancel_all()
        self.webhooks.reset_counters()
        self.webhooks.configure(self.webhooks.start_policy)

    def set_clock(self, skew: float | None = None, time_zone: str | None = None) -> None:
        """Move the sandbox's clock and/or the organisation's zone (ValueError when either is
        bad, and then nothing changes). Records already changed by mutations hold rendered
        timestamps: they are rendered again in the new zone, like generated records."""
        if time_zone is not None:
            clock.load_zone(time_zone)
        if skew is not None:
            clock.set_skew(skew)
        if time_zone is not None:
            clock.set_time_zone(time_zone)
            for store in self.world.stores.values():
                for row in store.rows.values():
                    for key, t in (("created_time", row.created), ("last_modified_time", row.lmt)):
                        if row.rec is not None and key in row.rec:
                            row.rec[key] = clock.fmt_ts(t)

    def clock_state(self) -> dict[str, Any]:
        t = clock.now()
        return {
            "now": t,
            "now_text": clock.fmt_ts(int(t)),
            "http_date": clock.http_date(t),
            "skew": clock.SKEW,
            "time_zone": clock.TZ_NAME,
        }

    def mutate(self, body: dict[str, Any]) -> dict[str, Any]:
        """One `/_sandbox/mutate` body: change the world and fire its webhooks. Chaos goes
        through here too, so its changes look exactly like the control API's."""
        result, changes = self.mutator.apply(body)
        stock_route = self.mutator.switches.adjustments_route == "stock"
        vendors_route = self.mutator.switches.vendors_route == "vendors"
        for change in changes:
            route = "stock" if stock_route and change.entity == "inventoryadjustments" else None
            if vendors_route and change.entity == "contacts":
                route = "vendors" if change.record.get("contact_type") == "vendor" else None
            self.webhooks.send(
                change.entity, change.event, change.record_key, change.record, route=route
            )
        return result

    @property
    def switches(self) -> Switches:
        return self.mutator.switches

    def set_switches(self, body: dict[str, Any]) -> Switches:
        """Change the switches `body` names (SwitchError on a bad one: nothing changes)."""
        self.mutator.switches = self.mutator.switches.updated(body)
        return self.mutator.switches
