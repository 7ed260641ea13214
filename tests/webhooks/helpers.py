"""What the webhook tests share: secrets, signed deliveries, row counts, a receiver process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def receiver_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ADMIN_API_TOKEN")}
    env.update(
        DATABASE_URL=database_url,
        ZOHO_WEBHOOK_SECRETS=f"{OLD_SECRET}, {NEW_SECRET}",
        ADMIN_API_TOKEN=ADMIN_TOKEN,
        **extra,
    )
    return env


def _wait_until_listening(proc: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the receiver exited with {proc.returncode}:\n{log.read_text()}")
        try:
            # Any answer will do: /health is 503 while the database is down, on purpose.
            httpx.get(f"{base}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the receiver did not answer within 20s:\n{log.read_text()}")


@contextmanager
def receiver_process(env: Mapping[str, str], log: Path) -> Iterator[httpx.Client]:
    """`python -m tsh_webhooks` on a free loopback port; yields a client for it."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tsh_webhooks", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(proc, base, log)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=10)
