"""What the webhook tests share: secrets, signed deliveries, row counts, a receiver process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.servers import service_process
from tsh_db.schema import tds_inbox_events, tds_sync_queue

ROOT = Path(__file__).resolve().parents[2]
OLD_SECRET, NEW_SECRET = "oldSecret0123456789", "newSecret9876543210"
ADMIN_TOKEN = "admin-token-for-tests-3f9c"
SIGNATURE = "X-Zoho-Webhook-Signature"
BIG_ID = "4815000000000000123"  # above 2^53: must stay exact as text


def sign(body: bytes, secret: str = NEW_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_for(record_key: str, id_field: str, zoho_id: Any = BIG_ID, **fields: Any) -> bytes:
    return json.dumps({record_key: {id_field: zoho_id, **fields}}).encode()


def signed(body: bytes, secret: str = NEW_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE: sign(body, secret)}


def counts(engine: Engine) -> tuple[int, int]:
    """(inbox rows, queue rows)."""
    with engine.connect() as conn:
        inbox = conn.execute(select(func.count()).select_from(tds_inbox_events)).scalar_one()
        queue = conn.execute(select(func.count()).select_from(tds_sync_queue)).scalar_one()
    return inbox, queue


def receiver_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ADMIN_API_TOKEN")}
    env.update(
        DATABASE_URL=database_url,
        ZOHO_WEBHOOK_SECRETS=f"{OLD_SECRET}, {NEW_SECRET}",
        ADMIN_API_TOKEN=ADMIN_TOKEN,
        **extra,
    )
    return env


def receiver_process(env: Mapping[str, str], log: Path):  # type: ignore[no-untyped-def]
    """`python -m tsh_webhooks` on a free loopback port; yields a client for it."""
    return service_process("tsh_webhooks", env, log)
