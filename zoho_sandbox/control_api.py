"""Control API under /_sandbox: never rate limited, never counted as Zoho calls."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request, Response

from .chaos import ChaosError
from .faults import FaultError
from .mutations import MutationError
from .state import Sandbox
from .switches import SwitchError
from .webhooks import DeliveryPolicy, WebhookPolicyError
from .world import ENTITIES

JsonResponder = Callable[..., Response]


async def _json_body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def register_control(app: FastAPI, sb: Sandbox, respond: JsonResponder) -> None:
    @app.post("/_sandbox/mutate")
    async def mutate(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            result = sb.mutate(body)
        except MutationError as exc:
            return respond(exc.status, {"error": str(exc)})
        return respond(200, result)

    @app.post("/_sandbox/chaos")
    async def chaos(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            sb.chaos.configure(body)
        except ChaosError as exc:
            return respond(400, {"error": str(exc)})
        return respond(200, {"chaos": sb.chaos.describe()})

    @app.post("/_sandbox/webhooks")
    async def webhooks(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            sb.webhooks.configure(DeliveryPolicy.parse(body))
        except WebhookPolicyError as exc:
            return respond(400, {"error": str(exc)})
        return respond(200, {"webhooks": asdict(sb.webhooks.policy)})

    @app.post("/_sandbox/faults")
    async def faults(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            sb.faults.configure(body)
        except FaultError as exc:
            return respond(400, {"error": str(exc)})
        if body.get("revoke_tokens"):
            sb.tokens.revoke_all()
        if body.get("revoke_refresh_token"):
            sb.tokens.refresh_revoked = True  # stays revoked until /_sandbox/reset
        return respond(
            200,
            {"faults": sb.faults.describe(), "refresh_token_revoked": sb.tokens.refresh_revoked},
        )

    @app.get("/_sandbox/switches")
    async def get_switches() -> Response:
        return respond(200, {"switches": sb.switches.describe()})

    @app.post("/_sandbox/switches")
    async def set_switches(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            sb.set_switches(body)
        except SwitchError as exc:
            return respond(400, {"error": str(exc)})
        return respond(200, {"switches": sb.switches.describe()})

    @app.get("/_sandbox/clock")
    async def get_clock() -> Response:
        return respond(200, {"clock": sb.clock_state()})

    @app.post("/_sandbox/clock")
    async def set_clock(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return respond(400, {"error": "body must be a JSON object"})
        try:
            sb.set_clock(**_clock_change(body))
        except ValueError as exc:
            return respond(400, {"error": str(exc)})
        return respond(200, {"clock": sb.clock_state()})

    @app.post("/_sandbox/webhooks/flush")
    async def flush_webhooks() -> Response:
        return respond(200, {"released": sb.webhooks.flush()})

    @app.get("/_sandbox/stats")
    async def stats() -> Response:
        return respond(200, snapshot(sb))

    @app.post("/_sandbox/reset")
    async def reset() -> Response:
        sb.reset()
        return respond(200, {"reset": True})

    @app.get("/_sandbox/records/{entity}")
    async def records(entity: str) -> Response:
        if entity not in ENTITIES:
            return respond(404, {"error": f"unknown entity {entity!r}"})
        return respond(200, {"entity": entity, "records": sb.world.records(entity)})


def _number(value: Any, key: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{key} must be a number of seconds")
    return float(value)


def _clock_change(body: dict[str, Any]) -> dict[str, Any]:
    """`{"skew": s}` or `{"now": epoch seconds}` (the skew that makes the clock read it
    now), and/or `{"time_zone": "America/New_York"}`."""
    unknown = set(body) - {"skew", "now", "time_zone"}
    if unknown:
        raise ValueError(f"unknown clock setting {', '.join(sorted(unknown))}")
    if "skew" in body and "now" in body:
        raise ValueError("give skew or now, not both")
    out: dict[str, Any] = {}
    if "skew" in body:
        out["skew"] = _number(body["skew"], "skew")
    if "now" in body:
        out["skew"] = _number(body["now"], "now") - time.time()
    if "time_zone" in body:
        if not isinstance(body["time_zone"], str):
            raise ValueError("time_zone must be an IANA name")
        out["time_zone"] = body["time_zone"]
    return out


def snapshot(sb: Sandbox) -> dict[str, Any]:
    out = sb.stats.snapshot()
    out.update(
        {
            "tokens_issued": sb.tokens.issued,
            "token_requests": sb.tokens.requests,
            "live_tokens": sb.tokens.live_count(time.monotonic()),
            "peak_calls_per_minute": dict(sb.limits.peak),
            "daily_used": dict(sb.limits.used),
            "webhooks": sb.webhooks.stats(),
            "faults": sb.faults.describe(),
            "chaos": sb.chaos.stats(),
            "record_counts": {e: len(sb.world.stores[e].rows) for e in ENTITIES},
            "clock": sb.clock_state(),
            "switches": sb.switches.describe(),
        }
    )
    return out
