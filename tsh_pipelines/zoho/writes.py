"""Writing to Zoho Books: create once, and find what an unanswered write may have made.

Zoho has no idempotency key. A create sent through `ZohoClient.send` goes out once; 429s
(Zoho refused it before doing anything) are waited out by the client as for reads, but a 5xx
or a transport failure after the request left is *ambiguous*: Zoho may have saved it. The
caller must look it up before sending again: documents by `reference_number` (the invoice and
sales-order listings filter on it), contacts by email or phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsh_pipelines.zoho.client import ZohoClient
from tsh_pipelines.zoho.errors import ZohoAPIError
from tsh_pipelines.zoho.settings import BOOKS


def ambiguous(exc: BaseException) -> bool:
    """Whether a failed write may have been saved: Zoho answered 5xx, or no answer came."""
    return isinstance(exc, ZohoAPIError) and (exc.status == 0 or exc.status >= 500)


def unanswered(exc: BaseException) -> bool:
    """No answer at all (timeout, reset): Zoho may still be working on it."""
    return isinstance(exc, ZohoAPIError) and exc.status == 0


def create(client: ZohoClient, path: str, record_key: str, body: Mapping[str, Any]) -> dict:
    """POST one record to Books; the record Zoho answers (with its id and version)."""
    return dict(client.send("POST", BOOKS, path, body=body)[record_key])


def action(client: ZohoClient, path: str) -> dict:
    """POST to an action path (`invoices/{id}/status/void`): Zoho's answer."""
    return client.send("POST", BOOKS, path)


def find(client: ZohoClient, path: str, list_key: str, **filters: str) -> list[dict[str, Any]]:
    """The records of a Books listing matching exact filters (`reference_number=TDS-7`,
    `email=…`), newest first: one call, as a lookup finds a handful at most."""
    body = client.get(BOOKS, path, {**filters, "per_page": 200})
    return list(body.get(list_key) or [])


def fetch(client: ZohoClient, path: str, record_key: str) -> dict:
    """One Books record in full (a document with its line items)."""
    return dict(client.get(BOOKS, path)[record_key])
