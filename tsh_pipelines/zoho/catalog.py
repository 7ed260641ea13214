"""Books first: where each kind of data is read from (the TSH priority matrix).

Items come from Books; Inventory is read once per sync, in a single listing pass that serves
both the stock levels of every item and the items Books does not have. A single item is
fetched from Books and only falls back to Inventory when Books does not know it; many items
come a hundred a call from Books' `itemdetails`. Customers,
documents and price lists exist only in Books; stock and warehouses only in Inventory.

One 404 is no proof of a delete: Zoho answers 404 for a record read within its read lag
after creation, and Inventory may not know an item Books already has (or the reverse). A 404
is therefore confirmed before anyone tombstones on it: for items by the other API, for other
records by a second read `ZOHO_DELETE_CONFIRM_SECONDS` later. Every confirming call goes
through the same client, so it is limited, budgeted and counted like any other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tsh_pipelines.entities import Entity
from tsh_pipelines.zoho.client import ZohoClient
from tsh_pipelines.zoho.errors import ZohoAPIError
from tsh_pipelines.zoho.settings import BOOKS, INVENTORY

ITEMDETAILS_BATCH = 100  # Zoho's maximum ids per itemdetails call
NOT_FOUND = 1002
T = TypeVar("T")


class Gone(ZohoAPIError):
    """Zoho's 404 (code 1002), already confirmed: both item APIs answered it."""

    @classmethod
    def of(cls, exc: ZohoAPIError) -> Gone:
        return cls(exc.status, exc.code, exc.message, exc.api, exc.endpoint, exc.params)


class DeleteNotConfirmed(ZohoAPIError):
    """Inventory answers 404 for an item Books still has, also when asked again later: the
    item is not deleted, but there is no Inventory record to write either. Not code 1002, so
    `unless_gone` raises it: a webhook event is retried by the queue, a run fails naming the
    item, and nothing is tombstoned."""


def confirm_delay() -> float:
    """Seconds between a 404 and the read that confirms it (ZOHO_DELETE_CONFIRM_SECONDS)."""
    return float(os.environ.get("ZOHO_DELETE_CONFIRM_SECONDS", "2"))


def _wait() -> None:
    delay = confirm_delay()
    if delay > 0:
        time.sleep(delay)


def _not_found(exc: ZohoAPIError) -> bool:
    return exc.code == NOT_FOUND


def fetch_item(client: ZohoClient, item_id: str) -> tuple[dict, str]:
    """One item with its source: Books' record, else Inventory's (one extra call only then).

    Raises `Gone` when both APIs answer 404: the one confirms the other."""
    try:
        return client.get(BOOKS, f"items/{item_id}")["item"], BOOKS
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
    try:
        return client.get(INVENTORY, f"items/{item_id}")["item"], INVENTORY
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
        raise Gone.of(exc) from None


def fetch_record(client: ZohoClient, entity: Entity, zoho_id: str) -> tuple[dict, str]:
    """One record of a registry entity by id, with the API it came from (items: Books first).

    Raises ZohoAPIError with code 1002 when Zoho no longer has it."""
    if entity.name == "products":
        return fetch_item(client, zoho_id)
    return client.get(entity.api, f"{entity.path}/{zoho_id}")[entity.record_key], entity.api


def fetch_records(
    client: ZohoClient, entity: Entity, ids: Iterable[str]
) -> Iterator[tuple[str, tuple[dict, str] | None]]:
    """Many records by id, each as (id, (record, source)) or (id, None) once Zoho confirms
    it gone: items a hundred a call, other entities one call each (Zoho batches only items).

    Other entities' 404s are read again together after one `confirm_delay()`, so a run that
    confirms many deletes waits once, not once per record; they come last."""
    if entity.name == "products":
        yield from fetch_items(client, ids)
        return
    missing: list[str] = []
    for zoho_id in ids:
        try:
            yield zoho_id, fetch_record(client, entity, zoho_id)
        except ZohoAPIError as exc:
            if not _not_found(exc):
                raise
            missing.append(zoho_id)
    if missing:
        _wait()
    for zoho_id in missing:
        yield zoho_id, _second_read(lambda z=zoho_id: fetch_record(client, entity, z))


def unless_gone(fetch: Callable[[], T]) -> T | None:
    """The fetched record, or None when Zoho's 404 (code 1002) is confirmed: it was deleted.

    Items are confirmed inside `fetch_item` and `inventory_item`, by the other API (`Gone`);
    any other 404 by a second read `confirm_delay()` seconds later."""
    try:
        return fetch()
    except Gone:
        return None
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
    _wait()
    return _second_read(fetch)


def _second_read(fetch: Callable[[], T]) -> T | None:
    try:
        return fetch()
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
    return None


def item_details(client: ZohoClient, item_ids: Iterable[str]) -> Iterator[dict]:
    """Full Books item records, a hundred per call."""
    batch: list[str] = []
    for item_id in item_ids:
        batch.append(str(item_id))
        if len(batch) == ITEMDETAILS_BATCH:
            yield from _details(client, batch)
            batch = []
    if batch:
        yield from _details(client, batch)


def _details(client: ZohoClient, ids: list[str]) -> list[dict]:
    return client.get(BOOKS, "itemdetails", {"item_ids": ",".join(ids)}).get("items") or []


def fetch_items(
    client: ZohoClient, item_ids: Iterable[str]
) -> Iterator[tuple[str, tuple[dict, str] | None]]:
    """Many items by id, each as (id, (record, source)) or (id, None) when Zoho has it no more.

    Books' `itemdetails` answers a hundred a call; an id it leaves out (Zoho does not say
    whether it omits deleted or Inventory-only items) is asked alone, Books then Inventory,
    so only a 404 from Zoho ever says gone."""
    ids = [str(i) for i in item_ids]
    found = {str(r["item_id"]): r for r in item_details(client, ids)}
    for item_id in ids:
        if item_id in found:
            yield item_id, (found[item_id], BOOKS)
        else:
            yield item_id, unless_gone(lambda z=item_id: fetch_item(client, z))


def inventory_item(client: ZohoClient, item_id: str) -> dict:
    """Inventory's item record with its per-warehouse stock (one call per item: no batch).

    A 404 is asked of Books: `Gone` when Books agrees. When Books has the item, Inventory is
    asked again after `confirm_delay()` (its read lag), and if it still answers 404,
    `DeleteNotConfirmed`: the item lives, but this call has no Inventory record to give."""
    endpoint = f"items/{item_id}"
    try:
        return client.get(INVENTORY, endpoint)["item"]
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
        first = exc
    try:
        client.get(BOOKS, endpoint)
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
        raise Gone.of(first) from None
    _wait()
    try:
        return client.get(INVENTORY, endpoint)["item"]
    except ZohoAPIError as exc:
        if not _not_found(exc):
            raise
        raise DeleteNotConfirmed(
            exc.status, None,
            f"Zoho Inventory answers 404 for item {item_id} while Books still has it, also "
            f"{confirm_delay():g} s later: it is not deleted, so nothing was tombstoned. Its "
            "stock is read again on the next attempt; if this persists, check the item in "
            "Zoho Inventory.",
            exc.api, exc.endpoint, exc.params,
        ) from None  # fmt: skip
