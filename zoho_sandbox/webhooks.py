"""Zoho-style webhook deliveries: one POST per changed record, signed, retried in background."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx

from .config import SandboxConfig

ROUTES = {"items": "products", "contacts": "customers", "invoices": "invoices",
          "bills": "bills", "creditnotes": "credit-notes", "stock": "stock",
          "pricebooks": "prices"}  # sales orders fire no webhook
SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    def __init__(self, cfg: SandboxConfig) -> None:
        self.url = cfg.webhook_url.rstrip("/") if cfg.webhook_url else None
        self.secret = cfg.webhook_secret
        self.retries = cfg.webhook_retries
        self.backoff = cfg.webhook_backoff
        self.tasks: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None
        self.reset_counters()

    def reset_counters(self) -> None:
        self.delivered = self.failed = self.attempts = 0

    def send(self, entity: str, event: str, record_key: str, record: dict[str, Any]) -> None:
        """Schedule one delivery; a no-op without --webhook-url or for sales orders."""
        route = ROUTES.get(entity)
        if self.url is None or route is None:
            return
        body = json.dumps({record_key: record}, ensure_ascii=False, separators=(",", ":")).encode()
        task = asyncio.get_running_loop().create_task(
            self._deliver(f"{self.url}/{route}?event={event}", body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, url: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            self.attempts += 1
            try:
                resp = await self._client.post(url, content=body, headers=headers)
                if 200 <= resp.status_code < 300:
                    self.delivered += 1
                    return
            except httpx.HTTPError:
                pass  # connection refused, timeout...: retry like any failed answer
        self.failed += 1

    def pending(self) -> int:
        return len(self.tasks)

    def cancel_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()

    async def aclose(self) -> None:
        self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def stats(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "attempts": self.attempts,
                "pending": self.pending()}
