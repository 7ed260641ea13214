"""Everything a running sandbox holds, so `reset` can rebuild it in one place."""

from __future__ import annotations

from .auth import TokenManager
from .config import SandboxConfig
from .faults import Faults
from .limits import Limits, Stats
from .mutations import Mutator
from .webhooks import WebhookSender
from .world import World


class Sandbox:
    def __init__(self, cfg: SandboxConfig) -> None:
        self.cfg = cfg
        self.webhooks = WebhookSender(cfg)
        self.reset()

    def reset(self) -> None:
        """Seed data, counters, tokens and faults back to their state at start."""
        self.world = World(self.cfg)
        self.mutator = Mutator(self.world)
        self.tokens = TokenManager(self.cfg)
        self.limits = Limits(self.cfg)
        self.stats = Stats()
        self.faults = Faults()
        self.webhooks.cancel_all()
        self.webhooks.reset_counters()
