"""Counts of Zoho calls per API, endpoint and outcome, for metadata and periodic logs."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

_ID = re.compile(r"/\d+")


def endpoint_name(endpoint: str) -> str:
    """`invoices/460000000012345` → `invoices/{id}`: one counter per endpoint, not per record."""
    return _ID.sub("/{id}", "/" + endpoint.strip("/"))[1:]


@dataclass
class CallStats:
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    waited_seconds: float = 0.0
    pages: int = 0

    def record(self, api: str, endpoint: str, outcome: str) -> None:
        self.calls[(api, endpoint_name(endpoint), outcome)] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def by_api(self) -> dict[str, dict[str, int]]:
        """`{"books": {"ok": 12, "429": 1}, ...}` — the shape shown on materializations."""
        out: dict[str, dict[str, int]] = {}
        for (api, _endpoint, outcome), n in sorted(self.calls.items()):
            out.setdefault(api, {}).setdefault(outcome, 0)
            out[api][outcome] += n
        return out

    def by_endpoint(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (api, endpoint, _outcome), n in self.calls.items():
            out[f"{api}:{endpoint}"] += n
        return dict(out)

    def as_metadata(self) -> dict[str, object]:
        return {
            "zoho_calls": self.total,
            "zoho_calls_by_api": self.by_api(),
            "zoho_calls_by_endpoint": self.by_endpoint(),
            "zoho_retries": dict(self.retries),
            "zoho_wait_seconds": round(self.waited_seconds, 2),
        }

    def summary(self) -> str:
        parts = [
            f"{api} {sum(o.values())} ({', '.join(f'{k} {v}' for k, v in o.items())})"
            for api, o in self.by_api().items()
        ]
        return f"Zoho calls: {'; '.join(parts) or 'none'}; waited {self.waited_seconds:.1f} s"

    def log_summary(self, logger: logging.Logger | logging.LoggerAdapter) -> None:
        logger.info(self.summary())
