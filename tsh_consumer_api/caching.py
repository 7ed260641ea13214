"""HTTP caching for the product endpoints: Cache-Control, a strong ETag, and 304s.

The mobile app polls the same pages repeatedly over slow mobile links; a 304 spares the body.
The ETag hashes the exact body, so it changes whenever a price, stock status or total does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def if_none_match_matches(header: str | None, etag: str) -> bool:
    """RFC 9110: If-None-Match uses the weak comparison, so a W/ prefix still matches."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class CachedRoute(APIRoute):
    """A route whose successful responses are cacheable and answer conditional requests."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def cached(request: Request) -> Response:
            response = await handler(request)
            if response.status_code != 200:
                return response
            max_age: int = request.app.state.settings.cache_max_age
            etag = etag_for(bytes(response.body))
            headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
            if if_none_match_matches(request.headers.get("if-none-match"), etag):
                return Response(status_code=304, headers=headers)
            response.headers.update(headers)
            return response

        return cached
