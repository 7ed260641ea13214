"""What the webhook tests share: secrets, signed deliveries, row counts, a receiver process.

Signatures are computed here from the facts file's description, independently of the
receiver's code: a shared bug would otherwise pass unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.servers import service_process
from tsh_db.schema import tds_inbox_events, tds_sync_queue

ROOT = Path(__file__).resolve().parents[2]
OLD_SECRET, NEW_SECRET = "oldSecret0123456789", "newSecret9876543210"
ADMIN_TOKEN = "admin-token-for-tests-3f9c"
SIGNATURE = "X-Zoho-Webhook-Signature"
BIG_ID = "4815000000000000123"  # above 2^53: must stay exact as text


Query = Mapping[str, str] | Sequence[tuple[str, str]]
HOOKS = "/api/zoho/webhooks"
FORM = "application/x-www-form-urlencoded"


def _pairs(query: Query) -> list[tuple[str, str]]:
    return list(query.items()) if isinstance(query, Mapping) else list(query)


def signing_string(body: bytes, query: Query = ()) -> bytes:
    """The facts file: query parameters and form fields sorted by key, key then value
    (URL-decoded, no separators), then the raw JSON body."""
    pairs = _pairs(query)
    json_body = body
    if body and body.lstrip()[:1] not in (b"{", b"["):  # a form: its fields are signed
        pairs += parse_qsl(body.decode(), keep_blank_values=True)
        json_body = b""
    pairs.sort(key=lambda kv: kv[0])
    return "".join(k + v for k, v in pairs).encode() + json_body


def sign(body: bytes, secret: str = NEW_SECRET, query: Query = (), encoding: str = "hex") -> str:
    digest = hmac.new(secret.encode(), signing_string(body, query), hashlib.sha256).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def raw_sign(body: bytes, secret: str = NEW_SECRET) -> str:
    """The raw-body variant: the HMAC of the body alone."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_for(record_key: str, id_field: str, zoho_id: Any = BIG_ID, **fields: Any) -> bytes:
    return json.dumps({record_key: {id_field: zoho_id, **fields}}).encode()


def signed(body: bytes, secret: str = NEW_SECRET, query: Query = ()) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE: sign(body, secret, query)}


def hook_query(route: str, **params: str) -> dict[str, str]:
    """The query the README's webhook form sends: `route` (so the signature covers it)
    and whatever else is given (`event`)."""
    return {"route": route, **params}


def deliver(
    client: Any, route: str, body: bytes, secret: str = NEW_SECRET,
    headers: Mapping[str, str] | None = None, method: str = "POST", **params: str,
) -> Any:  # fmt: skip
    """A delivery as the README configures Zoho: signed over `route`, `params` and the body.
    Works with a TestClient and an httpx.Client alike."""
    query = hook_query(route, **params)
    headers = signed(body, secret, query) if headers is None else headers
    return client.request(
        method, f"{HOOKS}/{route}", content=body, headers=dict(headers), params=query
    )


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
