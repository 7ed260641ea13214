"""FastAPI app: Zoho Accounts' token endpoint, Books and Inventory, and the control API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import clock
from .config import ORG_ID, SandboxConfig
from .control_api import register_control
from .errors import Answer, error, unknown_org
from .images import FILE
from .state import Sandbox
from .writes import handle as handle_write
from .zoho_api import endpoint_label, handle

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    # serialised by hand: ids above 2^53 stay exact Python ints, and it skips FastAPI's encoder
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type="application/json", headers=headers)


class SkewedDate:
    """ASGI middleware: every answer carries the sandbox's own `Date` header (RFC 7231, read
    from `clock.now()`, so `--clock-skew` shows), replacing any the app set. The server must
    not add its own: `python -m zoho_sandbox` runs uvicorn with `date_header=False`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", clock.http_date(clock.now()).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_dated)


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    sb = Sandbox(config or SandboxConfig())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await sb.webhooks.aclose()

    app = FastAPI(
        title="Zoho sandbox", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.sandbox = sb

    @app.post("/oauth/v2/token")
    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        body = await request.body()
        if body:
            params.update(parse_qsl(body.decode(errors="replace")))
        status, payload = sb.tokens.grant(
            params, time.monotonic(), str(request.base_url).rstrip("/")
        )
        return json_response(status, payload)

    @app.api_route("/books/v3/{path:path}", methods=ALL_METHODS)
    async def books(path: str, request: Request) -> Response:
        return await zoho_call(sb, "books", path, request)

    @app.api_route("/inventory/v1/{path:path}", methods=ALL_METHODS)
    async def inventory(path: str, request: Request) -> Response:
        return await zoho_call(sb, "inventory", path, request)

    register_control(app, sb, json_response)
    app.add_middleware(SkewedDate)
    return app


async def zoho_call(sb: Sandbox, api: str, path: str, request: Request) -> Response:
    limits, stats = sb.limits, sb.stats  # a reset mid-call must not unbalance new counters
    (status, body), answered = await _pipeline(sb, api, path, request)
    stats.record(api, endpoint_label(api, path), status)
    headers = limits.headers(api, status, body.get("code"))
    if FILE in body:  # an item image: bytes, not JSON
        content, media_type = body.pop(FILE)
        response = Response(content, status_code=status, media_type=media_type, headers=headers)
    else:
        response = json_response(status, body, headers)
    if answered:
        # after the body is serialised: the client sees this change on its next call only
        sb.chaos.after_call(sb.world, sb.mutate, api, path, status, body)
    return response


async def _pipeline(sb: Sandbox, api: str, path: str, request: Request) -> tuple[Answer, bool]:
    """The answer, and whether the API itself answered (not auth, limits or a fault)."""
    denied = sb.tokens.check(request.headers.get("authorization"), time.monotonic())
    if denied:
        return denied, False
    org = request.query_params.get("organization_id")
    # Zoho's own examples call GET /organizations without organization_id: it is how a
    # client learns the id; a wrong one is still refused
    if org != ORG_ID and not (org is None and path.strip("/").split("/")[0] == "organizations"):
        return unknown_org(org or ""), False
    if request.method not in ("GET", "POST", "PUT"):
        return error(405, 37, f"{request.method} is not supported by this sandbox."), False
    raw = await request.body()
    limits = sb.limits
    denied = limits.enter(api)
    if denied:
        return denied, False
    try:
        if sb.faults.latency_ms:
            await asyncio.sleep(sb.faults.latency_ms / 1000)
        injected = sb.faults.draw()
        if injected:
            return injected, False  # a simulated refusal: not counted against the quotas
        denied = limits.admit(api, time.monotonic())
        if denied:
            return denied, False
        if request.method != "GET":  # writes.py; chaos's mutations follow reads only
            return await handle_write(sb, api, request.method, path, raw), False
        return handle(sb.world, api, path, request.query_params, sb.faults.duplicate), True
    finally:
        limits.leave(api)
