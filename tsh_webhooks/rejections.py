"""The last deliveries the receiver refused, for `GET /api/zoho/webhooks/rejections`.

Setting up a Zoho webhook is trial and error against a form; this list says what each
refused try looked like: the route, the reason, how it was signed and which signature
variants were tried, the content type and the body size. Never the body, a header value or
a secret: the list is readable by anyone holding the admin token, who need not hold them.

Kept in memory, per process, newest first and bounded (`KEPT`): a refusal writes nothing to
the database (the receiver's role may not, and a flood of forged deliveries must not fill a
table). With several receiver replicas each keeps its own list; a restart empties it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from tsh_db.types import utcnow
from tsh_webhooks.delivery import Rejected
from tsh_webhooks.models import Rejection
from tsh_webhooks.signature import Check

log = logging.getLogger(__name__)

KEPT = 200
ROUTE_CHARS = 64  # the route is whatever the caller put in the path


@dataclass
class Attempt:
    """What is known of a delivery so far; filled in as the receiver reads it."""

    method: str
    route: str
    content_type: str | None
    query_parameters: list[str]
    body_bytes: int | None = None
    body_type: str | None = None
    check: Check = field(default_factory=Check)


class Rejections:
    def __init__(self, kept: int = KEPT) -> None:
        self._items: deque[Rejection] = deque(maxlen=kept)
        self._lock = threading.Lock()

    @property
    def kept(self) -> int:
        return self._items.maxlen or 0

    def add(self, attempt: Attempt, rejected: Rejected) -> Rejection:
        item = Rejection(
            at=utcnow(),
            method=attempt.method,
            route=attempt.route[:ROUTE_CHARS],
            status=rejected.status,
            outcome=rejected.outcome,
            reason=rejected.reason,
            signature=attempt.check.encoding,
            signature_variants_tried=list(attempt.check.tried),
            content_type=(attempt.content_type or "")[:100] or None,
            body_bytes=attempt.body_bytes,
            body_type=attempt.body_type,
            query_parameters=sorted({k[:40] for k in attempt.query_parameters})[:20],
        )
        with self._lock:
            self._items.appendleft(item)
        log.info("refused %s %r: %s %s", item.method, item.route, item.status, item.reason)
        return item

    def recent(self, limit: int) -> list[Rejection]:
        with self._lock:
            return list(self._items)[:limit]
