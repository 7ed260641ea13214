"""Helpers for the sandbox contract tests: a bare Zoho client written only from the facts
file, Zoho error assertions and a local webhook sink."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from zoho_sandbox.process import DEMO_CREDENTIALS

ORG = DEMO_CREDENTIALS["organization_id"]
# small on purpose: the whole suite must stay fast on 2 cores
SMALL: dict[str, Any] = {
    "seed": 1,
    "items": 60,
    "inventory_only_items": 4,
    "customers": 20,
    "vendors": 5,
    "invoices": 450,
    "bills": 30,
    "creditnotes": 20,
    "salesorders": 25,
    "customer_payments": 40,
    "vendor_payments": 10,
    "purchase_orders": 12,
    "estimates": 12,
    "vendor_credits": 6,
    "expenses": 20,
}
RATE_HEADERS = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")


class Zoho:
    """A bare client: token grant plus GET with organization_id and the Zoho auth header."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30.0)
        self.token: str | None = None

    def grant(self, **override: str) -> httpx.Response:
        params = {
            "grant_type": "refresh_token",
            "client_id": DEMO_CREDENTIALS["client_id"],
            "client_secret": DEMO_CREDENTIALS["client_secret"],
            "refresh_token": DEMO_CREDENTIALS["refresh_token"],
            **override,
        }
        return self.http.post("/oauth/v2/token", params=params)

    def login(self) -> str:
        resp = self.grant()
        assert resp.status_code == 200, resp.text
        self.token = resp.json()["access_token"]
        return self.token

    def get(
        self, path: str, token: str | None = None, org: str | None = ORG, **params: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Zoho-oauthtoken {token or self.token}"}
        if org is not None:
            params["organization_id"] = org
        return self.http.get(path, params=params, headers=headers)

    def ok(self, path: str, **params: Any) -> dict[str, Any]:
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["code"] == 0 and body["message"] == "success"
        return body

    def list_all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        out, page = [], 1
        while True:
            body = self.ok(path, page=page, **params)
            out += body[key]
            if not body["page_context"]["has_more_page"]:
                return out
            page += 1


def assert_zoho_error(
    resp: httpx.Response, status: int, code: int, message: str | None = None
) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["code"] == code, body
    if message is not None:
        assert body["message"] == message
    return body


def assert_rate_headers(resp: httpx.Response) -> None:
    for name in RATE_HEADERS:
        assert resp.headers[name].isdigit(), (name, resp.headers)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class _Server(ThreadingHTTPServer):
    # bursts of concurrent deliveries (repeats, chaos) overflow the default backlog of 5
    request_queue_size = 128


def body_of(raw: bytes) -> Any:
    """The record a delivery carries, whatever its body type: JSON, `JSONString=` or fields."""
    if raw.lstrip()[:1] in (b"{", b"["):
        return json.loads(raw)
    form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    return json.loads(form["JSONString"]) if "JSONString" in form else form


def zoho_signed(delivery: dict[str, Any], secret: str) -> bool:
    """The facts file's scheme: query parameters and form fields sorted by key, key then
    value, then the raw JSON body; hex HMAC-SHA256."""
    raw = delivery["raw"]
    pairs = parse_qsl(urlsplit(delivery["path"]).query, keep_blank_values=True)
    is_json = raw.lstrip()[:1] in (b"{", b"[")
    if not is_json:
        pairs += parse_qsl(raw.decode(), keep_blank_values=True)
    pairs.sort(key=lambda kv: kv[0])
    message = "".join(k + v for k, v in pairs).encode() + (raw if is_json else b"")
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return delivery["headers"].get("X-Zoho-Webhook-Signature") == expected


class Sink:
    """Webhook receiver: answers 500 to the first `fail_first` deliveries, then 200."""

    def __init__(self, fail_first: int = 1) -> None:
        self.fail_first = fail_first
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.lock:
                    failing = sink.fail_first > 0
                    sink.fail_first -= 1
                    sink.received.append(
                        {
                            "path": self.path,
                            "method": self.command,
                            "headers": dict(self.headers),
                            "raw": raw,
                            "status": 500 if failing else 200,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(500 if failing else 200)
                self.end_headers()

            do_PUT = do_DELETE = do_POST  # noqa: N815 - Zoho's webhook form offers all three

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self, path_prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(r, body=body_of(r["raw"]))
                for r in self.received
                if r["status"] == 200 and r["path"].startswith(path_prefix)
            ]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
