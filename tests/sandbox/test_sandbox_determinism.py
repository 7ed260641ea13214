"""Same seed and sizes: byte-identical records and answers; another seed: other data."""

from __future__ import annotations

from tests.sandbox.sandbox_helpers import SMALL, Zoho
from zoho_sandbox.process import SandboxProcess

ENTITIES = ("items", "contacts", "invoices", "bills", "creditnotes", "salesorders", "pricebooks")


def _raw_records(sb: SandboxProcess, entity: str) -> bytes:
    resp = sb._client.get(f"/_sandbox/records/{entity}")
    assert resp.status_code == 200
    return resp.content


def test_same_seed_is_byte_identical(sandbox: SandboxProcess, zoho: Zoho) -> None:
    with SandboxProcess(**SMALL) as twin:
        for entity in ENTITIES:
            assert _raw_records(twin, entity) == _raw_records(sandbox, entity), entity
        twin_zoho = Zoho(twin.url)
        twin_zoho.login()
        for path in ("/books/v3/invoices", "/inventory/v1/items", "/books/v3/pricebooks"):
            assert (
                twin_zoho.get(path, page=2, per_page=30).content
                == zoho.get(path, page=2, per_page=30).content
            )


def test_other_seed_gives_other_data(truth: dict) -> None:
    with SandboxProcess(**{**SMALL, "seed": 2}) as other:
        items = other.records("items")
        invoices = other.records("invoices")
    assert len(items) == len(truth["items"]) and len(invoices) == len(truth["invoices"])
    assert [i["name"] for i in items] != [i["name"] for i in truth["items"]]
    assert not {i["item_id"] for i in items} & {i["item_id"] for i in truth["items"]}
    assert [d["total"] for d in invoices] != [d["total"] for d in truth["invoices"]]
