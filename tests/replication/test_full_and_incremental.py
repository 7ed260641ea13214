"""A full sync lands exactly Zoho's records; incremental runs pick up exactly the changes."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy.engine import Engine

from tests.replication.helpers import all_rows, live_rows, replicate_all
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.replicate import FULL_REFRESH
from zoho_sandbox.process import SandboxProcess

DOCS = {
    "invoices": ("invoice_id", "invoice_number", "invoice_line_items", "invoice_zoho_id"),
    "bills": ("bill_id", "bill_number", "bill_line_items", "bill_zoho_id"),
    "creditnotes": ("creditnote_id", "creditnote_number", None, None),
    "salesorders": ("salesorder_id", "salesorder_number", None, None),
}
TABLE = {"invoices": "invoices", "bills": "bills", "creditnotes": "credit_notes",
         "salesorders": "sales_orders"}  # fmt: skip


def test_full_sync_lands_exactly_the_sandbox_records(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    totals, _ = replicate_all(fresh_sandbox, engine)
    items = fresh_sandbox.records("items")
    products = live_rows(engine, "products", "sku", "source", "is_active", "actual_available_stock")
    assert set(products) == {str(i["item_id"]) for i in items}
    sources = Counter(p[1] for p in products.values())
    assert sources["inventory"] == sum(1 for i in items if i.get("source") == "inventory") > 0
    assert any(not p[2] for p in products.values())  # inactive items are replicated too
    for item in items:
        assert products[str(item["item_id"])][0] == item["sku"]
        assert products[str(item["item_id"])][3] == Decimal(str(item["actual_available_stock"]))

    for entity, (id_field, number, items_table, parent) in DOCS.items():
        truth = {r[id_field]: r for r in fresh_sandbox.records(entity)}
        stored = live_rows(engine, TABLE[entity], number, "total")
        assert set(stored) == set(truth), entity
        for zoho_id, (num, total) in stored.items():
            assert num == truth[zoho_id][number]
            assert Decimal(str(total)) == Decimal(str(truth[zoho_id]["total"]))
        if items_table:
            lines = Counter(r[parent] for r in all_rows(engine, items_table))
            assert lines == {z: len(r["line_items"]) for z, r in truth.items() if r["line_items"]}

    contacts = fresh_sandbox.records("contacts")
    for table, kind in (("customers", "customer"), ("vendors", "vendor")):
        assert set(live_rows(engine, table)) == {
            c["contact_id"] for c in contacts if c["contact_type"] == kind
        }
    codes = {r[0] for r in live_rows(engine, "price_lists", "code").values()}
    assert {"consumer_iqd", "wholesale_usd"} <= codes
    consumer = next(p for p in fresh_sandbox.records("pricebooks") if p["name"] == "Consumer")
    prices = [
        r
        for r in all_rows(engine, "product_prices")
        if r["price_list_zoho_id"] == consumer["pricebook_id"]
    ]
    assert {r["product_zoho_id"] for r in prices} == {
        str(i["item_id"]) for i in consumer["pricebook_items"]
    }
    assert len(live_rows(engine, "warehouses")) == 3
    stock = Counter()
    for r in all_rows(engine, "product_warehouse_stock"):
        stock[r["product_zoho_id"]] += Decimal(str(r["stock_on_hand"]))
    for item in items:
        if item.get("stock_on_hand") not in (None, ""):
            assert stock[str(item["item_id"])] == Decimal(str(item["stock_on_hand"]))
    assert totals["invoices"].details_fetched == len(fresh_sandbox.records("invoices"))


def test_second_incremental_run_spends_one_call_per_entity_and_changes_nothing(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    replicate_all(fresh_sandbox, engine)
    totals, calls = replicate_all(fresh_sandbox, engine)
    # products: the Books listing, and (once ever, for the cursor) the organisation's zone;
    # the Inventory step: its listing, no detail call
    assert calls.pop("products") == 2
    assert calls.pop("product_warehouse_stock") == 1
    # price lists: the listing, and each book's rates read again (a rate edit may not move
    # the book's last_modified_time), written only where one differs
    assert calls.pop("price_lists") == 1 + len(fresh_sandbox.records("pricebooks"))
    assert totals["product_prices"].extra["rates_changed"] == 0
    # one listing each; the settings were listed whole a moment ago (daily, `refresh_hours`)
    assert calls == {n: 0 if BY_NAME[n].refresh_hours else 1 for n in calls}, calls
    for name, t in totals.items():
        assert (t.counts.inserted, t.counts.updated, t.soft_deleted) == (0, 0, 0), name


def test_incremental_picks_up_exactly_the_changed_records(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    replicate_all(fresh_sandbox, engine)
    invoices = sorted(fresh_sandbox.records("invoices"), key=lambda r: r["date"])
    oldest = invoices[0]
    fresh_sandbox.mutate("invoices", "update", ids=[oldest["invoice_id"]], fields={"balance": 0})
    changed_items = fresh_sandbox.mutate("items", "update", count=3)["records"]
    new_contacts = fresh_sandbox.mutate("contacts", "create", count=2)["records"]

    totals, calls = replicate_all(fresh_sandbox, engine)

    inv = totals["invoices"]
    assert (inv.counts.inserted, inv.counts.updated) == (0, 1)
    assert inv.details_fetched == 1 and calls["invoices"] == 2  # one listing, one detail
    assert oldest["date"][:7] + "-01" in inv.touched_partitions
    assert live_rows(engine, "invoices", "balance")[oldest["invoice_id"]][0] == 0
    assert totals["products"].counts.updated == 3
    stored = live_rows(engine, "products", "name")
    for rec in changed_items:
        truth = next(
            i for i in fresh_sandbox.records("items") if str(i["item_id"]) == str(rec["id"])
        )
        assert stored[str(rec["id"])][0] == truth["name"]
    assert totals["customers"].counts.inserted == 2
    assert {str(c["id"]) for c in new_contacts} <= set(live_rows(engine, "customers"))


def test_full_refresh_soft_deletes_what_zoho_no_longer_returns(
    fresh_sandbox: SandboxProcess, engine: Engine
) -> None:
    replicate_all(fresh_sandbox, engine)
    gone_invoices = [
        r["id"] for r in fresh_sandbox.mutate("invoices", "delete", count=2)["records"]
    ]
    gone_items = [str(r["id"]) for r in fresh_sandbox.mutate("items", "delete", count=1)["records"]]

    incremental, _ = replicate_all(fresh_sandbox, engine)
    assert incremental["invoices"].soft_deleted == 0  # listings never show deletes

    totals, _ = replicate_all(fresh_sandbox, engine, mode=FULL_REFRESH)
    assert totals["invoices"].soft_deleted == 2
    assert totals["products"].soft_deleted == 1
    deleted = {r["zoho_id"] for r in all_rows(engine, "invoices") if r["deleted_at"] is not None}
    assert deleted == set(gone_invoices)
    assert not set(gone_items) & set(live_rows(engine, "products"))
