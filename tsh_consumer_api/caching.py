"""HTTP caching for the catalogue endpoints: Cache-Control, a strong ETag, 304s, and a cache
of response bodies per catalogue version.

The mobile app (and any CDN in front) revalidates the same pages over and over. The ETag is
derived from the catalogue version and the request, not from the body, so a current ETag is
answered 304 before any query runs, and a repeated request is answered from memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tsh_consumer_api.settings import Settings

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# Bumped when the body of an answer changes shape, so no cache keeps an old one.
RESPONSE_FORMAT = "3"
STALE_IF_ERROR = 300


def cache_control(settings: Settings) -> str:
    """Fresh for max-age; a CDN may serve a copy that old once more while it revalidates, and
    for five minutes if this API is down. max-age 0: store, but revalidate every time."""
    age = settings.cache_max_age
    if age == 0:
        return f"public, no-cache, stale-if-error={STALE_IF_ERROR}"
    return f"public, max-age={age}, stale-while-revalidate={age}, stale-if-error={STALE_IF_ERROR}"


def request_key(route: str, request: Request, settings: Settings) -> str:
    """What the body depends on besides the catalogue: the endpoint (aliases share it), its
    parameters in a canonical order, and the settings that shape the body."""
    params = sorted(request.query_params.multi_items())
    path = sorted(request.path_params.items())
    shape = (settings.low_stock_threshold, settings.public_base_url, settings.cdn_base_url)
    return repr((RESPONSE_FORMAT, shape, route, path, params))


def etag_for(token: str, key: str) -> str:
    return '"' + hashlib.sha256(f"{token}|{key}".encode()).hexdigest()[:32] + '"'


def if_none_match_matches(header: str | None, etag: str, *, wildcard: bool = True) -> bool:
    """RFC 9110: If-None-Match uses the weak comparison, so a W/ prefix still matches."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if (wildcard and candidate == "*") or candidate.removeprefix("W/") == etag:
            return True
    return False


def not_built() -> JSONResponse:
    return JSONResponse(
        {"detail": "The consumer catalogue has not been built yet: the next products or "
                   "prices sync builds it, or materialize consumer_catalog in Dagster."},
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "30"},
    )  # fmt: skip


class CachedRoute(APIRoute):
    """A route answering from the catalogue: cacheable, conditional, memoised per version."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        route = self.name

        async def cached(request: Request) -> Response:
            state = request.app.state
            snapshot = await state.catalog.current()
            if snapshot is None:
                return not_built()
            request.state.catalog = snapshot
            etag = etag_for(snapshot.token, request_key(route, request, state.settings))
            headers = {"ETag": etag, "Cache-Control": state.cache_control}
            condition = request.headers.get("if-none-match")
            # An ETag of ours names a request that was valid; `*` waits for the answer below.
            if if_none_match_matches(condition, etag, wildcard=False):
                return Response(status_code=304, headers=headers)
            body = state.responses.get(snapshot.token, etag)
            if body is None:
                response = await handler(request)
                if response.status_code != 200:
                    return response
                body = bytes(response.body)
                state.responses.put(snapshot.token, etag, body)
            if if_none_match_matches(condition, etag):
                return Response(status_code=304, headers=headers)
            return Response(body, media_type="application/json", headers=headers)

        return cached
