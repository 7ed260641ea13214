"""Issue 22, case 9: one 404 is no delete until Zoho confirms it.

Zoho answers 404 for a record read within its read lag after creation, and Inventory may not
know an item Books has. Against the sandbox over HTTP, the lag is played exactly: a response
hook on the client's own HTTP connection creates the record in the sandbox right after the
first 404 for its id has been answered, as Zoho finishes creating it. Ids are predictable:
the sandbox numbers the records it creates one after another. Every call, confirming ones
included, is counted on the client as usual.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.replication.helpers import live_rows
from tests.zoho_client.conftest import settings_for
from tsh_db.schema import products
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.events import apply_event
from tsh_pipelines.zoho import ZohoClient
from tsh_pipelines.zoho.catalog import (
    DeleteNotConfirmed,
    fetch_record,
    fetch_records,
    inventory_item,
    unless_gone,
)
from zoho_sandbox.process import SandboxProcess

CUSTOMERS, INVOICES = BY_NAME["customers"], BY_NAME["invoices"]


@pytest.fixture
def client(
    fresh_sandbox: SandboxProcess, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ZohoClient]:
    # The lag is played by the hook, not by the clock: no test waits on the confirm delay.
    monkeypatch.setenv("ZOHO_DELETE_CONFIRM_SECONDS", "0")
    with ZohoClient(settings_for(fresh_sandbox), engine) as zoho:
        yield zoho


def next_id(sandbox: SandboxProcess, entity: str) -> str:
    """The id the sandbox's next create of `entity` gets (it creates one to learn it)."""
    return str(int(sandbox.mutate(entity, "create")["records"][0]["id"]) + 1)


def on_answer(client: ZohoClient, path: str, status: int, then: str, sandbox: SandboxProcess,
              entity: str) -> None:  # fmt: skip
    """Once, after Zoho answers `status` for GET …/`path`: create (or delete) the record."""
    fired: list[bool] = []

    def hook(response: httpx.Response) -> None:
        request = response.request
        if fired or request.method != "GET" or response.status_code != status:
            return
        if not request.url.path.endswith("/" + path):
            return
        fired.append(True)
        zoho_id = path.rsplit("/", 1)[1]
        if then == "create":
            assert sandbox.mutate(entity, "create")["records"][0]["id"] == zoho_id
        else:
            sandbox.mutate(entity, "delete", ids=[zoho_id])

    client.http.event_hooks["response"].append(hook)


def calls(client: ZohoClient, api: str, endpoint: str) -> dict[str, int]:
    return {o: n for (a, e, o), n in client.stats.calls.items() if (a, e) == (api, endpoint)}


def test_a_record_read_within_the_read_lag_is_fetched_again_not_buried(
    client: ZohoClient, fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """A `created` webhook applied before Zoho serves the contact: the old code tombstoned
    it at once, and a tombstone newer than the record keeps it dead for good."""
    new = next_id(fresh_sandbox, "contacts")
    on_answer(client, f"contacts/{new}", 404, "create", fresh_sandbox, "contacts")
    applied = apply_event(client, engine, "customers", new, "created",
                          {"contact": {"contact_id": new}})  # fmt: skip
    assert applied.outcome == "upserted"
    assert new in live_rows(engine, "customers")
    assert calls(client, "books", "contacts/{id}") == {"404": 1, "ok": 1}


def test_a_record_really_deleted_is_confirmed_by_a_second_read(
    client: ZohoClient, fresh_sandbox: SandboxProcess
) -> None:
    gone = fresh_sandbox.mutate("invoices", "delete", count=1)["records"][0]["id"]
    assert unless_gone(lambda: fetch_record(client, INVOICES, gone)) is None
    assert calls(client, "books", "invoices/{id}") == {"404": 2}


def test_many_missing_records_are_confirmed_after_one_wait(
    client: ZohoClient, fresh_sandbox: SandboxProcess
) -> None:
    deleted = [r["id"] for r in fresh_sandbox.mutate("invoices", "delete", count=2)["records"]]
    new = next_id(fresh_sandbox, "invoices")
    on_answer(client, f"invoices/{new}", 404, "create", fresh_sandbox, "invoices")
    found = dict(fetch_records(client, INVOICES, [*deleted, new]))
    assert found[new] is not None and found[new][0]["invoice_id"] == new
    assert [found[d] for d in deleted] == [None, None]
    assert calls(client, "books", "invoices/{id}") == {"404": 5, "ok": 1}


def test_an_item_inventory_answers_404_for_while_books_has_it_is_not_deleted(
    client: ZohoClient, fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """A stock event for an item Inventory does not serve yet but Books does: the old code
    tombstoned the product on Inventory's 404. Books is asked, then Inventory again."""
    new = next_id(fresh_sandbox, "items")
    on_answer(client, f"items/{new}", 404, "create", fresh_sandbox, "items")
    applied = apply_event(client, engine, "product_warehouse_stock", new, "edited", {})
    assert applied.outcome == "upserted"
    assert new in live_rows(engine, "products")
    assert calls(client, "inventory", "items/{id}") == {"404": 1, "ok": 1}
    assert calls(client, "books", "items/{id}")["ok"] >= 1  # the confirming read


def test_an_item_both_apis_answer_404_for_is_gone_without_a_wait(
    client: ZohoClient, fresh_sandbox: SandboxProcess
) -> None:
    gone = fresh_sandbox.mutate("items", "delete", count=1)["records"][0]["id"]
    assert unless_gone(lambda: inventory_item(client, gone)) is None
    assert calls(client, "inventory", "items/{id}") == {"404": 1}
    assert calls(client, "books", "items/{id}") == {"404": 1}


def test_an_item_only_inventory_has_is_repaired_not_deleted(
    client: ZohoClient, fresh_sandbox: SandboxProcess
) -> None:
    """Books answers 404 for Inventory-only items: Inventory is asked before any delete."""
    only = next(str(r["item_id"]) for r in fresh_sandbox.records("items")
                if r.get("source") == "inventory")  # fmt: skip
    [(zoho_id, found)] = list(fetch_records(client, BY_NAME["products"], [only]))
    assert found is not None and found[1] == "inventory" and zoho_id == only


def test_inventory_404_against_books_twice_is_an_error_not_a_delete(
    client: ZohoClient, fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    """Inventory 404, Books has it, Inventory 404 again (here: deleted in between): nothing
    is tombstoned, the event fails and is retried; the retry then finds both 404."""
    new = next_id(fresh_sandbox, "items")
    on_answer(client, f"items/{new}", 404, "create", fresh_sandbox, "items")
    on_answer(client, f"items/{new}", 200, "delete", fresh_sandbox, "items")
    with pytest.raises(DeleteNotConfirmed, match=f"item {new}"):
        apply_event(client, engine, "product_warehouse_stock", new, "edited", {})
    with engine.connect() as conn:  # no row at all: no tombstone either
        assert conn.scalar(select(products.c.id).where(products.c.zoho_id == new)) is None
    assert apply_event(client, engine, "product_warehouse_stock", new, "edited", {})
