"""An organisation on Zoho Locations in another time zone: `locations[]` on the Inventory
listing and detail, the organisation record, offsets and the quota day of the zone, and
filters whose offset is ignored. Compared with the shared sandbox (same seed, warehouses,
Baghdad, offsets honoured) and a small one in the same zone that honours offsets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.sandbox.sandbox_helpers import ORG, SMALL, Zoho, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

LA_NAME = "America/Los_Angeles"
LA = ZoneInfo(LA_NAME)
FMT = "%Y-%m-%dT%H:%M:%S%z"
HIGH = {"books_rpm": 100_000, "inventory_rpm": 100_000}
TINY = {"items": 10, "invoices": 10, "bills": 5, "creditnotes": 5, "salesorders": 5,
        "customers": 5, "vendors": 2}  # fmt: skip


@pytest.fixture(scope="module")
def located() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        **SMALL, **HIGH, inventory_mode="locations", time_zone=LA_NAME, filter_offset="ignored"
    ) as sb:
        yield sb


@pytest.fixture(scope="module")
def honouring() -> Iterator[SandboxProcess]:
    with SandboxProcess(**TINY, **HIGH, time_zone=LA_NAME) as sb:
        yield sb


@pytest.fixture
def lz(located: SandboxProcess) -> Iterator[Zoho]:
    client = Zoho(located.url)
    client.login()
    yield client
    located.reset()  # some tests move stock; the next one starts from the seed again


def _client(sb: SandboxProcess) -> Zoho:
    client = Zoho(sb.url)
    client.login()
    return client


def _as_locations(warehouses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k.replace("warehouse_", "location_"): v for k, v in w.items()} for w in warehouses]


def _on_hand(rec: dict[str, Any]) -> int:
    return sum(loc["location_stock_on_hand"] for loc in rec["locations"])


def _by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["item_id"]): r for r in records}


def test_locations_listing_matches_detail_and_warehouse_numbers(lz: Zoho, zoho: Zoho) -> None:
    listed = _by_id(lz.list_all("/inventory/v1/items", "items", filter_by="Status.All"))
    assert len(listed) == SMALL["items"] + SMALL["inventory_only_items"]
    for item_id, rec in listed.items():
        assert "warehouses" not in rec
        detail = lz.ok(f"/inventory/v1/items/{item_id}")["item"]
        assert "warehouses" not in detail
        assert detail["locations"] == rec["locations"]
        # the shared sandbox has the same seed: its warehouse rows are the same stock
        warehouses = zoho.ok(f"/inventory/v1/items/{item_id}")["item"]["warehouses"]
        assert _as_locations(warehouses) == rec["locations"], item_id
        assert _on_hand(rec) == rec["stock_on_hand"]
    first = next(iter(listed.values()))["locations"][0]
    assert list(first)[:8] == [
        "location_id", "location_name", "is_primary", "status", "location_stock_on_hand",
        "location_available_stock", "location_actual_available_stock",
        "location_committed_stock",
    ]  # fmt: skip
    assert isinstance(first["location_id"], int)  # Inventory ids are JSON numbers


def test_warehouses_mode_is_unchanged(zoho: Zoho, lz: Zoho) -> None:
    listed = zoho.ok("/inventory/v1/items", filter_by="Status.All")["items"]
    assert listed and all("locations" not in r and "warehouses" not in r for r in listed)
    detail = zoho.ok(f"/inventory/v1/items/{listed[0]['item_id']}")["item"]
    assert "locations" not in detail and len(detail["warehouses"]) == 3
    # settings/warehouses is the same answer in both modes
    assert lz.ok("/inventory/v1/settings/warehouses") == zoho.ok(
        "/inventory/v1/settings/warehouses"
    )


def test_stock_moves_show_in_listing_and_detail(located: SandboxProcess, lz: Zoho) -> None:
    item_id = located.records("items")[2]["item_id"]
    before = _by_id(lz.ok("/inventory/v1/items", filter_by="Status.All")["items"])[item_id]
    moved = located.mutate("stock", "update", ids=[item_id])["records"][0]
    listed = _by_id(lz.ok("/inventory/v1/items", filter_by="Status.All")["items"])[item_id]
    detail = lz.ok(f"/inventory/v1/items/{item_id}")["item"]
    assert listed["locations"] == detail["locations"] != before["locations"]
    assert listed["stock_on_hand"] == moved["stock_on_hand"]
    assert _on_hand(listed) == moved["stock_on_hand"]
    # chaos moves stock through the same path: the next listing and detail agree with it
    located.chaos(seed=3, rate=1, actions=["update"], entities=["stock"])
    lz.ok(f"/inventory/v1/items/{item_id}")
    located.stop_chaos()
    (chaos_id,) = located.stats()["chaos"]["updated"]["stock"]
    truth = next(r for r in located.records("items") if r["item_id"] == chaos_id)
    listed = _by_id(lz.ok("/inventory/v1/items", filter_by="Status.All")["items"])[chaos_id]
    detail = lz.ok(f"/inventory/v1/items/{chaos_id}")["item"]
    assert listed["locations"] == detail["locations"]
    assert [loc["location_stock_on_hand"] for loc in listed["locations"]] == [
        w["warehouse_stock_on_hand"] for w in truth["warehouses"]
    ]


@pytest.mark.parametrize("api", ["/books/v3", "/inventory/v1"])
def test_organization_endpoints(located: SandboxProcess, lz: Zoho, api: str) -> None:
    org = lz.ok(f"{api}/organizations/{ORG}")["organization"]
    assert {k: org[k] for k in ("organization_id", "name", "currency_code", "is_default_org")} == {
        "organization_id": "10234695", "name": "TSH", "currency_code": "IQD",
        "is_default_org": True,
    }  # fmt: skip
    assert org["time_zone"] == LA_NAME
    assert lz.ok(f"{api}/organizations")["organizations"] == [org]
    # how a client learns the id: no organization_id needed on these paths
    assert lz.get(f"{api}/organizations", org=None).json()["organizations"] == [org]
    assert_zoho_error(lz.get(f"{api}/organizations/999"), 404, 1002, "Organization does not exist.")
    assert_zoho_error(lz.get(f"{api}/organizations", org="999"), 400, 6041)
    assert_zoho_error(lz.get(f"{api}/organizations", token="1000.x.y"), 401, 57)
    stats = located.stats()
    name = api.split("/")[1]
    assert stats["calls"][name]["organizations/{id}"] == {"200": 1, "404": 1}
    assert stats["calls"][name]["organizations"] == {"200": 2, "400": 1, "401": 1}
    assert stats["daily_used"][name] == 4  # refused calls (6041, 57) use no quota


def test_timestamps_carry_the_zone_offset_of_their_instant(lz: Zoho, zoho: Zoho) -> None:
    seen = set()
    ours = _by_id(lz.list_all("/books/v3/items", "items", filter_by="Status.All"))
    baghdad = _by_id(zoho.list_all("/books/v3/items", "items", filter_by="Status.All"))
    invoices = lz.ok("/books/v3/invoices")["invoices"]
    for rec in [*ours.values(), *invoices]:
        for key in ("created_time", "last_modified_time"):
            moment = datetime.strptime(rec[key], FMT)
            assert rec[key][-5:] == moment.astimezone(LA).strftime("%z"), rec[key]
            seen.add(rec[key][-5:])
    assert seen == {"-0800", "-0700"}  # winter and summer both rendered
    # the zone changes how instants are written, not which instants were generated
    for item_id, rec in ours.items():
        assert datetime.strptime(rec["created_time"], FMT) == datetime.strptime(
            baghdad[item_id]["created_time"], FMT
        )
        assert baghdad[item_id]["created_time"].endswith("+0300")


def test_mutations_and_quota_day_follow_the_zone(located: SandboxProcess, lz: Zoho) -> None:
    moved = located.mutate("items", "update")["records"][0]
    stamp = datetime.strptime(moved["last_modified_time"], FMT)
    assert moved["last_modified_time"][-5:] == stamp.astimezone(LA).strftime("%z")
    resp = lz.get("/books/v3/items")
    now = time.time()
    local = datetime.fromtimestamp(now, LA)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), LA)
    assert abs(int(resp.headers["X-Rate-Limit-Reset"]) - (midnight.timestamp() - now)) <= 2


def _filtered(client: Zoho, value: str) -> set[str]:
    rows = client.list_all(
        "/inventory/v1/items", "items", filter_by="Status.All", last_modified_time=value
    )
    return {str(r["item_id"]) for r in rows}


def _since(sb: SandboxProcess, instant: float) -> set[str]:
    return {r["item_id"] for r in sb.records("items")
            if datetime.strptime(r["last_modified_time"], FMT).timestamp() >= instant}  # fmt: skip


def test_filter_offset_ignored_reads_wall_clock_in_the_zone(
    located: SandboxProcess, honouring: SandboxProcess, lz: Zoho
) -> None:
    # the same item (same seed, same index) in both sandboxes: its last change is the cursor
    pivot = min(honouring.records("items"), key=lambda r: int(r["item_id"]))
    moment = datetime.strptime(pivot["last_modified_time"], FMT)
    wrong = moment.astimezone(ZoneInfo("Asia/Baghdad")).strftime(FMT)  # right instant
    right = moment.astimezone(LA).strftime(FMT)
    assert wrong[-5:] == "+0300" and right[-5:] in ("-0800", "-0700")
    honoured = _filtered(_client(honouring), wrong)
    assert pivot["item_id"] in honoured
    assert honoured == _since(honouring, moment.timestamp())
    # ignored: "wrong"'s wall clock is read as Los Angeles time, 10 or 11 hours later
    shifted = datetime.strptime(wrong[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=LA)
    assert shifted.timestamp() - moment.timestamp() in (10 * 3600, 11 * 3600)
    ignored = _filtered(lz, wrong)
    assert pivot["item_id"] not in ignored
    assert ignored == _since(located, shifted.timestamp())
    # a cursor written in the organisation's own offset means the same in both modes
    assert _filtered(lz, right) == _since(located, moment.timestamp())
    assert pivot["item_id"] in _filtered(lz, right)
