"""Books first: where each kind of data is read from (the TSH priority matrix).

Items come from Books; Inventory is read once per sync, in a single listing pass that serves
both the stock levels of every item and the items Books does not have. A single item is
fetched from Books and only falls back to Inventory when Books does not know it; many items
come a hundred a call from Books' `itemdetails`. Customers,
documents and price lists exist only in Books; stock and warehouses only in Inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tsh_pipelines.entities import Entity
from tsh_pipelines.zoho.client import ZohoClient
from tsh_pipelines.zoho.errors import ZohoAPIError
from tsh_pipelines.zoho.settings import BOOKS, INVENTORY

ITEMDETAILS_BATCH = 100  # Zoho's maximum ids per itemdetails call
NOT_FOUND = 1002
T = TypeVar("T")


def fetch_item(client: ZohoClient, item_id: str) -> tuple[dict, str]:
    """One item with its source: Books' record, else Inventory's (one extra call only then)."""
    try:
        return client.get(BOOKS, f"items/{item_id}")["item"], BOOKS
    except ZohoAPIError as exc:
        if exc.code != NOT_FOUND:
            raise
    return client.get(INVENTORY, f"items/{item_id}")["item"], INVENTORY


def fetch_record(client: ZohoClient, entity: Entity, zoho_id: str) -> tuple[dict, str]:
    """One record of a registry entity by id, with the API it came from (items: Books first).

    Raises ZohoAPIError with code 1002 when Zoho no longer has it."""
    if entity.name == "products":
        return fetch_item(client, zoho_id)
    return client.get(entity.api, f"{entity.path}/{zoho_id}")[entity.record_key], entity.api


def fetch_records(
    client: ZohoClient, entity: Entity, ids: Iterable[str]
) -> Iterator[tuple[str, tuple[dict, str] | None]]:
    """Many records by id, each as (id, (record, source)) or (id, None) once Zoho says gone:
    items a hundred a call, other entities one call each (Zoho batches only items)."""
    if entity.name == "products":
        yield from fetch_items(client, ids)
        return
    for zoho_id in ids:
        yield zoho_id, unless_gone(lambda z=zoho_id: fetch_record(client, entity, z))


def unless_gone(fetch: Callable[[], T]) -> T | None:
    """The fetched record, or None when Zoho answers 404 (code 1002): it was deleted."""
    try:
        return fetch()
    except ZohoAPIError as exc:
        if exc.code != NOT_FOUND:
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
    """Inventory's item record with its per-warehouse stock (one call per item: no batch)."""
    return client.get(INVENTORY, f"items/{item_id}")["item"]
