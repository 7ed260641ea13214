"""Product pictures end to end: Zoho's item images (the sandbox over HTTP) into the store and
the catalogue, fetched only when they change, read by the app's own parser and downloaded."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.consumer_api.catalogue import AppClient
from tests.images.flutter_app import read_catalogue, read_product
from tests.replication.helpers import CLIENT
from tests.zoho_client.conftest import settings_for
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.schema import consumer_catalog, product_images
from tsh_pipelines.images import ImageStore
from tsh_pipelines.sync.images import sync_images
from tsh_pipelines.sync.prices import sync_price_lists
from tsh_pipelines.sync.products import sync_products
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL
from tsh_pipelines.sync.stock import sync_stock
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

log = logging.getLogger("tests.images")
BASE = "https://app.tsh.example"
IMAGE_CALLS = ("items/{id}/image",)


@pytest.fixture(scope="module")
def zoho() -> Iterator[SandboxProcess]:
    """A small organisation of its own: its pictures are changed by the tests."""
    with SandboxProcess(seed=25, items=16, inventory_only_items=2, customers=2, vendors=1,
                        invoices=2, bills=1, creditnotes=1, salesorders=1,
                        books_rpm=100_000, inventory_rpm=100_000) as sb:  # fmt: skip
        yield sb


def image_calls(client: ZohoClient) -> int:
    return sum(n for (_, endpoint, _), n in client.stats.calls.items() if endpoint in IMAGE_CALLS)


def sync(zoho: SandboxProcess, engine: Engine, store: ImageStore, mode: str = INCREMENTAL) -> Any:
    """The catalogue steps, then the images step (as in the sync jobs); its totals and calls."""
    with ZohoClient(settings_for(zoho, **CLIENT), engine) as client:
        sync_products(client, engine, mode=mode, log=log)
        sync_stock(client, engine, mode=mode, log=log)
        sync_price_lists(client, engine, mode=mode, log=log)
        before = client.stats.total
        totals = sync_images(client, engine, store, mode=mode, log=log)
        assert client.stats.total - before == image_calls(client)  # nothing else was asked
        return totals, image_calls(client)


def stored(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.product_zoho_id: r for r in conn.execute(select(product_images))}


def shown(engine: Engine) -> dict[str, str | None]:
    c = consumer_catalog.c
    with engine.connect() as conn:
        return dict(conn.execute(select(c.product_zoho_id, c.image_url)).all())  # type: ignore[arg-type]


def api(db_url: str, store: ImageStore, **settings: Any) -> AppClient:
    base = Settings(database_url=db_url, public_base_url=BASE, image_dir=store.root)
    return AppClient(create_app(Settings(**{**base.__dict__, **settings})))


def test_pictures_follow_zoho_and_cost_calls_only_when_they_change(
    zoho: SandboxProcess, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    zoho.reset()
    store = ImageStore(tmp_path / "images")
    items = [i for i in zoho.records("items") if i.get("status") == "active"]
    pictured = [i for i in items if i["image_document_id"]]
    first, calls = sync(zoho, engine, store)
    assert calls == len(pictured) == first.extra["images_due"]  # one call per image
    rows = stored(engine)
    broken = {i for i, r in rows.items() if r.error}
    assert first.extra["images_failed"] == len(broken)
    assert all(str(i["item_id"]) in rows for i in pictured)

    # Nothing changed: no image call, on an incremental run and on a full refresh alike.
    assert sync(zoho, engine, store)[1] == 0
    assert sync(zoho, engine, store, FULL_REFRESH)[1] == 0

    ok = [str(i["item_id"]) for i in pictured if str(i["item_id"]) not in broken]
    replaced, deleted, spoiled = ok[:3]
    before = stored(engine)
    zoho.mutate("items", "update", ids=[replaced], fields={"image": "replace"})
    zoho.mutate("items", "update", ids=[deleted], fields={"image": "delete"})
    zoho.mutate("items", "update", ids=[spoiled], fields={"image": "truncated"})
    totals, calls = sync(zoho, engine, store)
    assert calls == 2 and totals.extra["images_removed"] == 1  # the deleted one costs none
    after = stored(engine)
    assert after[replaced].path != before[replaced].path and after[replaced].error is None
    assert after[deleted].path is None
    # Bad bytes: an error naming the item, which keeps its previous picture.
    assert after[spoiled].path == before[spoiled].path
    assert spoiled in after[spoiled].error and "truncated" in after[spoiled].error
    assert any(spoiled in p["error"] for p in totals.preview)
    catalogue = shown(engine)
    assert catalogue.get(deleted) is None and catalogue.get(spoiled, "") == before[spoiled].path
    assert sync(zoho, engine, store)[1] == 0  # the refused identity is not asked for again

    # The app reads every visible product; the pictures it is given download as images.
    app = api(db_url, store, cdn_base_url="https://cdn.tsh.example")
    products = read_catalogue(app, limit=7)
    assert {p.id for p in products} == set(catalogue)
    with_picture = [p for p in products if p.image_url]
    assert with_picture and all(p.image_url.startswith(f"{BASE}/media/") for p in with_picture)
    for p in with_picture:
        assert p.cdn_image_url == p.image_url.replace(BASE, "https://cdn.tsh.example")
        for url, side in ((p.image_url, 320), (read_product(app, p.id).image_url, 1024)):
            got = app.get(httpx.URL(url).path)
            assert got.status_code == 200 and "immutable" in got.headers["cache-control"]
            image = Image.open(io.BytesIO(got.content))
            assert image.format == "WEBP" and max(image.size) <= side


def test_images_leave_the_last_of_the_budget_to_data(
    zoho: SandboxProcess, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zoho.reset()
    monkeypatch.setenv("ZOHO_IMAGE_BUDGET_FLOOR", "1")  # the whole budget is data's
    totals, calls = sync(zoho, engine, ImageStore(tmp_path))
    assert calls == 0 and totals.extra["images_deferred"] == totals.extra["images_due"] > 0
    assert not stored(engine)
