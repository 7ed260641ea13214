"""The real thing: `python -m tsh_consumer_api` as a process, over HTTP on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete

from tests.conftest import DIALECTS
from tests.consumer_api.catalogue import HIDDEN, VISIBLE, pid, seed
from tests.servers import service_process
from tsh_db.engine import get_engine
from tsh_db.schema import metadata

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=DIALECTS)
def api(
    request: pytest.FixtureRequest,
    migrated_urls: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """The seeded catalogue served by a subprocess, once per dialect for this module."""
    url = migrated_urls(request.param)
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    seed(engine)
    log = tmp_path_factory.mktemp("api") / "api.log"
    env = {**os.environ, "CONSUMER_DATABASE_URL": url, "CONSUMER_CACHE_MAX_AGE": "30"}
    env.pop("DATABASE_URL", None)
    with service_process("tsh_consumer_api", env, log) as client:
        assert client.get("/health").status_code == 200
        yield client


def test_listing_over_http(api: httpx.Client) -> None:
    response = api.get("/api/consumer/products", params={"per_page": 2, "page": 2})
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public, max-age=30,")
    body = response.json()
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, len(VISIBLE))
    assert len(body["items"]) == 2
    assert "server" not in response.headers


def test_hidden_products_never_appear_over_http(api: httpx.Client) -> None:
    listed = api.get("/api/bff/mobile/consumer/products", params={"per_page": 100}).json()
    hidden_ids = {pid(n) for n, *_ in HIDDEN.values()}
    assert len(listed["items"]) == len(VISIBLE)
    assert not hidden_ids & {i["id"] for i in listed["items"]}
    for product_id in sorted(hidden_ids):
        assert api.get(f"/api/consumer/products/{product_id}").status_code == 404


def test_detail_and_conditional_get_over_http(api: httpx.Client) -> None:
    first = api.get(f"/api/consumer/products/{pid(2)}")
    assert first.json()["price_formatted"] == "1,250,000 IQD"
    assert first.json()["stock_status"] == "low_stock"
    again = api.get(
        f"/api/consumer/products/{pid(2)}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_validation_and_docs_over_http(api: httpx.Client) -> None:
    assert api.get("/api/consumer/products", params={"per_page": 101}).status_code == 422
    assert api.get("/openapi.json").json()["info"]["title"] == "TSH consumer price API"
    health = api.get("/health")
    assert health.json() == {"status": "ok", "database": "reachable"}


def test_the_api_starts_without_dagster() -> None:
    code = (
        "import sys\n"
        "from tsh_consumer_api.__main__ import main\n"
        "from tsh_consumer_api.app import create_app\n"
        "from tsh_consumer_api.settings import Settings\n"
        "create_app(Settings(database_url='sqlite:///unused.db'))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'tsh_pipelines'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"
