"""Injected faults: seeded random errors, added latency, pages that overlap by one record."""

from __future__ import annotations

import random
from http import HTTPStatus
from typing import Any

from .errors import MINUTE_LIMIT_MESSAGE, Answer, error, invalid_token


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self) -> None:
        self.configure({})

    def configure(self, body: dict[str, Any]) -> None:
        """Each call replaces the whole fault set; `{}` or `{"clear": true}` turns all off."""
        if body.get("clear"):
            body = {}
        errors = []
        for spec in body.get("errors") or []:
            try:
                status, rate = int(spec["status"]), float(spec["rate"])
            except (KeyError, TypeError, ValueError) as exc:
                raise FaultError("each error needs a numeric status and rate") from exc
            if not 400 <= status <= 599 or not 0 <= rate <= 1:
                raise FaultError("status must be 4xx/5xx and rate within 0..1")
            errors.append((status, rate))
        if sum(rate for _, rate in errors) > 1:
            raise FaultError("error rates add up to more than 1")
        self.errors = errors
        self.latency_ms = float(body.get("latency_ms") or 0)
        self.duplicate = bool(body.get("duplicate_across_pages"))
        self.seed = int(body.get("seed") or 0)
        self.rng = random.Random(self.seed)  # same seed, same call order -> same faults

    def draw(self) -> Answer | None:
        if not self.errors:
            return None
        u = self.rng.random()
        for status, rate in self.errors:
            if u < rate:
                return _body(status)
            u -= rate
        return None

    def describe(self) -> dict[str, Any]:
        return {"errors": [{"status": s, "rate": r} for s, r in self.errors],
                "latency_ms": self.latency_ms, "duplicate_across_pages": self.duplicate,
                "seed": self.seed}


def _body(status: int) -> Answer:
    # Zoho bodies for the statuses it documents; a generic Zoho-style body otherwise
    if status == 429:
        return error(429, 44, MINUTE_LIMIT_MESSAGE)
    if status == 401:
        return invalid_token()
    if status == 400:
        return error(400, 2, "Invalid value passed")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return error(status, status, phrase)
