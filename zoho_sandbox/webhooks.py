"""Zoho-style webhook deliveries: one request per changed record, signed, retried in background.

Each is shaped and signed as a Zoho webhook form configures it (`deliveries.py`: method, body
type, `event` and `route` query parameters, the facts file's signature).

Like Zoho under load, deliveries can be made to misbehave (CLI flags or
`POST /_sandbox/webhooks`): id-only or partial bodies, repeats, random delays that reorder
them, drops, deliveries held in batches and sent reversed or shuffled, and no webhooks at all
for chosen entities (a workflow rule switched off, or never made).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from . import deliveries
from .config import SandboxConfig

ROUTES = {
    "items": "products",
    "contacts": "customers",
    "invoices": "invoices",
    "bills": "bills",
    "creditnotes": "credit-notes",
    "stock": "stock",
    "pricebooks": "prices",
    "salesorders": "sales-orders",
    "inventoryadjustments": "inventory-adjustments",  # or "stock": switch adjustments_route
    "transferorders": "transfer-orders",
    # issue 24: the modules Zoho's workflow rules cover (Sales, Purchases); none for
    # expenses, users or settings
    "customerpayments": "payments",
    "vendorpayments": "vendor-payments",
    "purchaseorders": "purchase-orders",
    "estimates": "estimates",
    "vendorcredits": "vendor-credits",
}
SIGNATURE_HEADER = deliveries.SIGNATURE_HEADER
MAX_IN_FLIGHT = 16
BODIES = deliveries.BODIES
ORDERS = ("sent", "reverse", "shuffle")
Held = tuple[str, deliveries.Request, float]  # url, request, delay


class WebhookPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries misbehave; the defaults are a well-behaved sender."""

    body: str = "json"  # json | jsonstring | fields (full | id_only: the old names, as json)
    id_only: bool = False  # an entity-parameter body carrying just the id
    partial: bool = False  # a custom body: id, last_modified_time and a few fields
    partial_fields: tuple[str, ...] = ()  # those few fields (default: name or number, status)
    method: str = "POST"  # POST | PUT | DELETE
    signing: str = "zoho"  # zoho (query + form fields + JSON, sorted) | raw (the body alone)
    event_in: str = "query"  # query: ?event=…; header: X-ZOHO-Event: item.edited
    route_param: bool = True  # ?route=<route>, as the README's webhook form sets it
    params: str = ""  # extra query parameters, a query string
    repeat_rate: float = 0.0  # share of deliveries sent twice, identical bytes
    reorder_ms: int = 0  # each delivery waits a random 0..reorder_ms first
    drop_rate: float = 0.0  # share never sent at all
    seed: int = 0
    off: tuple[str, ...] = ()  # entities (ROUTES keys) whose changes fire nothing
    # sent: each delivery leaves when its change is made; reverse | shuffle (seeded): held
    # until `hold` wait (0: until POST /_sandbox/webhooks/flush), then sent one after another
    order: str = "sent"
    hold: int = 0

    @staticmethod
    def _off(value: Any) -> tuple[str, ...]:
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise WebhookPolicyError("off must be a list of entity names")
        names = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
        unknown = [n for n in names if n not in ROUTES]
        if unknown:
            raise WebhookPolicyError(
                f"off: unknown entity {', '.join(unknown)}; known: {', '.join(ROUTES)}"
            )
        return names

    @classmethod
    def parse(cls, body: dict[str, Any]) -> DeliveryPolicy:
        off = cls._off(body.get("off", ()))
        try:
            shape = deliveries.shape(body)
        except ValueError as exc:
            raise WebhookPolicyError(str(exc)) from None
        try:
            policy = cls(
                **shape,
                repeat_rate=float(body.get("repeat_rate", 0.0)),
                reorder_ms=int(body.get("reorder_ms", 0)),
                drop_rate=float(body.get("drop_rate", 0.0)),
                seed=int(body.get("seed", 0)),
                off=off,
                order=str(body.get("order", "sent")),
                hold=int(body.get("hold", 0)),
            )
        except (TypeError, ValueError) as exc:
            raise WebhookPolicyError(
                "rates must be numbers, reorder_ms, seed and hold integers"
            ) from exc
        if policy.order not in ORDERS:
            raise WebhookPolicyError(f"order must be one of {', '.join(ORDERS)}")
        if policy.hold < 0:
            raise WebhookPolicyError("hold must not be negative")
        rates = (policy.repeat_rate, policy.drop_rate)
        if not all(math.isfinite(r) and 0 <= r <= 1 for r in rates):
            raise WebhookPolicyError("repeat_rate and drop_rate must be within 0..1")
        if policy.reorder_ms < 0:
            raise WebhookPolicyError("reorder_ms must not be negative")
        return policy

    @classmethod
    def from_config(cls, cfg: SandboxConfig) -> DeliveryPolicy:
        return cls.parse(
            {
                "body": cfg.webhook_body,
                "id_only": cfg.webhook_id_only,
                "partial": cfg.webhook_partial_fields or cfg.webhook_partial,
                "method": cfg.webhook_method,
                "signing": cfg.webhook_signing,
                "event_in": cfg.webhook_event_in,
                "route_param": not cfg.webhook_no_route_param,
                "params": cfg.webhook_params,
                "repeat_rate": cfg.webhook_repeat_rate,
                "reorder_ms": cfg.webhook_reorder_ms,
                "drop_rate": cfg.webhook_drop_rate,
                "seed": cfg.webhook_seed,
                "off": cfg.webhooks_off,
                "order": cfg.webhook_order,
                "hold": cfg.webhook_hold,
            }
        )


class WebhookSender:
    def __init__(self, cfg: SandboxConfig) -> None:
        self.url = cfg.webhook_url.rstrip("/") if cfg.webhook_url else None
        self.secret = cfg.webhook_secret
        self.retries = cfg.webhook_retries
        self.backoff = cfg.webhook_backoff
        self.tasks: set[asyncio.Task] = set()
        self.held: list[Held] = []
        self._client: httpx.AsyncClient | None = None
        self.start_policy = DeliveryPolicy.from_config(cfg)
        self.configure(self.start_policy)
        self.reset_counters()

    def configure(self, policy: DeliveryPolicy) -> None:
        """Replace the delivery policy; the RNG restarts so a seed replays the same draws.
        Deliveries held under the old policy leave now, in its order."""
        self.flush()
        self.policy = policy
        self.rng = random.Random(policy.seed)
        self.order_rng = random.Random(f"{policy.seed}:order")

    def reset_counters(self) -> None:
        self.delivered = self.failed = self.attempts = 0
        self.repeated = self.dropped = self.delayed = self.silenced = 0

    def send(
        self,
        entity: str,
        event: str,
        record_key: str,
        record: dict[str, Any],
        route: str | None = None,
    ) -> None:
        """Schedule one delivery to the entity's route (or `route`); a no-op without
        --webhook-url. `off` names entities, whatever route they are sent to."""
        route = route or ROUTES.get(entity)
        if self.url is None or route is None:
            return
        policy = self.policy
        request = deliveries.build(policy, route, event, record_key, record, self.secret)
        # fixed draw order per change, whatever the rates: a seed always replays the same way
        dropped = self.rng.random() < policy.drop_rate
        repeated = self.rng.random() < policy.repeat_rate
        delays = [self.rng.uniform(0, policy.reorder_ms) / 1000 for _ in range(2)]
        if entity in policy.off:  # after the draws: other entities replay a seed the same way
            self.silenced += 1
            return
        if dropped:
            self.dropped += 1
            return
        copies = 2 if repeated else 1
        self.repeated += copies - 1
        url = request.url(f"{self.url}/{route}")
        for delay in delays[:copies]:
            self.delayed += 1 if delay > 0 else 0
            if policy.order != "sent":
                self.held.append((url, request, delay))
            else:
                self._spawn(self._deliver(url, request, delay))
        if policy.hold and len(self.held) >= policy.hold:
            self.flush()

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def flush(self) -> int:
        """Send the held deliveries in the policy's order (reversed, or shuffled by the
        seed), one after another: each waits until the one before is answered or given up."""
        batch, self.held = self.held, []
        if not batch:
            return 0
        if self.policy.order == "reverse":
            batch.reverse()
        elif self.policy.order == "shuffle":
            self.order_rng.shuffle(batch)
        self._spawn(self._deliver_in_turn(batch))
        return len(batch)

    async def _deliver_in_turn(self, batch: list[Held]) -> None:
        for url, request, delay in batch:
            await self._deliver(url, request, delay)

    async def _deliver(self, url: str, req: deliveries.Request, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
            # A sender keeps a few connections, as Zoho does: thousands of deliveries queued
            # inside httpx's pool would time out waiting for it and retry, a storm of our own.
            self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                async with self._in_flight:
                    self.attempts += 1
                    resp = await self._client.request(
                        req.method, url, content=req.body, headers=req.headers
                    )
                if 200 <= resp.status_code < 300:
                    self.delivered += 1
                    return
            except httpx.HTTPError:
                pass  # connection refused, timeout...: retry like any failed answer
        self.failed += 1

    def pending(self) -> int:
        return len(self.tasks)

    def cancel_all(self) -> None:
        self.held.clear()
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()

    async def aclose(self) -> None:
        self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def stats(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "attempts": self.attempts,
            "pending": self.pending(),
            "held": len(self.held),
            "repeated": self.repeated,
            "dropped": self.dropped,
            "delayed": self.delayed,
            "silenced": self.silenced,
            "policy": asdict(self.policy),
        }
