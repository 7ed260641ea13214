"""Everything a running sandbox holds, so `reset` can rebuild it in one place."""

from __future__ import annotations

from typing import Any

from .auth import TokenManager
from .chaos import Chaos
from .clock import set_time_zone
from .config import SandboxConfig, check
from .faults import Faults
from .limits import Limits, Stats
from .mutations import Mutator
from .webhooks import WebhookSender
from .world import World


class Sandbox:
    def __init__(self, cfg: SandboxConfig) -> None:
        check(cfg)
        set_time_zone(cfg.time_zone)  # before the world renders a single timestamp
        self.cfg = cfg
        self.webhooks = WebhookSender(cfg)
        self.reset()

    def reset(self) -> None:
        """Seed data, counters, tokens, faults, chaos and webhook behaviour back to their
        state at start."""
        self.world = World(self.cfg)
        cfg = self.cfg
        self.mutator = Mutator(
            self.world, cfg.stock_moves_bump_modified, cfg.rate_edits_bump_modified
        )
        self.tokens = TokenManager(self.cfg)
        self.limits = Limits(self.cfg)
        self.stats = Stats()
        self.faults = Faults()
        self.chaos = Chaos()
        self.webhooks.cancel_all()
        self.webhooks.reset_counters()
        self.webhooks.configure(self.webhooks.start_policy)

    def mutate(self, body: dict[str, Any]) -> dict[str, Any]:
        """One `/_sandbox/mutate` body: change the world and fire its webhooks. Chaos goes
        through here too, so its changes look exactly like the control API's."""
        result, changes = self.mutator.apply(body)
        for change in changes:
            self.webhooks.send(change.entity, change.event, change.record_key, change.record)
        return result
