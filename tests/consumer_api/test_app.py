"""Caching, CORS, docs, health, settings and the read-only engine, in process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from tests.consumer_api.catalogue import NOW, AppClient, pid, product_row
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.engine import get_engine
from tsh_db.schema import products
from tsh_db.service import SettingsError

LISTING = "/api/consumer/products"


def test_responses_are_cacheable_with_a_strong_etag(make_client: Callable[..., AppClient]) -> None:
    response = make_client(cache_max_age=120).get(LISTING)
    assert response.headers["cache-control"] == "public, max-age=120"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    detail = make_client().get(f"{LISTING}/{pid(1)}")
    assert detail.headers["cache-control"] == "public, max-age=60"
    assert detail.headers["etag"] not in ("", etag)


def test_matching_if_none_match_is_304_without_a_body(client: AppClient) -> None:
    first = client.get(LISTING, params={"per_page": 5})
    etag = first.headers["etag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = client.get(LISTING, params={"per_page": 5}, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    other_page = client.get(LISTING, params={"per_page": 6}, headers={"If-None-Match": etag})
    assert other_page.status_code == 200 and other_page.json()["items"]


def test_etag_changes_when_a_price_changes(catalogue_url: str, client: AppClient) -> None:
    before = client.get(f"{LISTING}/{pid(1)}").headers["etag"]
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(update(products).where(products.c.zoho_id == pid(1)).values(name="Fan 2"))
    after = client.get(f"{LISTING}/{pid(1)}", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.json()["name"] == "Fan 2" and after.headers["etag"] != before


def test_errors_are_not_cached(client: AppClient) -> None:
    missing = client.get(f"{LISTING}/nope")
    assert missing.status_code == 404
    assert "etag" not in missing.headers and "cache-control" not in missing.headers


def test_cors_allows_only_configured_origins(make_client: Callable[..., AppClient]) -> None:
    client = make_client(cors_origins=("https://app.tsh.iq",))
    allowed = client.get(LISTING, headers={"Origin": "https://app.tsh.iq"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.tsh.iq"
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    denied = client.get(LISTING, headers={"Origin": "https://evil.example"})
    assert denied.status_code == 200  # the server answers; the browser withholds it
    assert "access-control-allow-origin" not in denied.headers
    preflight = {"Access-Control-Request-Method": "GET"}
    ok = client.request("OPTIONS", LISTING, headers={"Origin": "https://app.tsh.iq", **preflight})
    bad = client.request(
        "OPTIONS", LISTING, headers={"Origin": "https://evil.example", **preflight}
    )
    assert ok.status_code == 200 and bad.status_code == 400


def test_no_cors_headers_without_configured_origins(client: AppClient) -> None:
    response = client.get(LISTING, headers={"Origin": "https://app.tsh.iq"})
    assert "access-control-allow-origin" not in response.headers


def test_docs_are_served_and_describe_the_models(client: AppClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"ConsumerProduct", "ProductPage", "Health"} <= set(schema["components"]["schemas"])
    assert "/api/bff/mobile/consumer/products" in schema["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def test_docs_can_be_switched_off(make_client: Callable[..., AppClient]) -> None:
    client = make_client(docs_enabled=False)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404, path
    assert client.get(LISTING).status_code == 200


def test_health_is_ok_with_the_database(client: AppClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/nowhere", "sqlite:////nonexistent/dir/tsh.db"],
)
def test_health_and_listing_are_503_without_the_database(url: str) -> None:
    client = AppClient(create_app(Settings(database_url=url)))
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable"}
    listing = client.get(LISTING)
    assert listing.status_code == 503
    assert "unavailable" in listing.json()["detail"]


def test_the_apps_engine_cannot_write(catalogue_url: str, client: AppClient) -> None:
    engine = client.app.state.engine
    with pytest.raises(DBAPIError, match="(?i)read-?only"), engine.begin() as conn:
        conn.execute(products.insert().values(product_row(99, "Injected", "X", "Fans", 5)))
    with pytest.raises(DBAPIError, match="(?i)read-?only"), engine.begin() as conn:
        conn.execute(update(products).values(deleted_at=NOW))
    with get_engine(catalogue_url).connect() as conn:
        assert conn.scalar(select(func.count()).where(products.c.zoho_id == pid(99))) == 0
        assert conn.scalar(select(func.count()).where(products.c.deleted_at.is_not(None))) == 1


def test_settings_from_env() -> None:
    env = {
        "DATABASE_URL": "sqlite:///fallback.db",
        "CONSUMER_MIN_STOCK": "2",
        "CONSUMER_LOW_STOCK_THRESHOLD": "5",
        "CONSUMER_PRICELIST_CODE": "consumer_iqd_2",
        "CONSUMER_CORS_ORIGINS": "https://a.tsh.iq/, https://b.tsh.iq,,",
        "CONSUMER_DOCS_ENABLED": "false",
        "CONSUMER_CACHE_MAX_AGE": "0",
    }
    assert Settings.from_env(env) == Settings(
        database_url="sqlite:///fallback.db",
        min_stock=2,
        low_stock_threshold=5,
        pricelist_code="consumer_iqd_2",
        cors_origins=("https://a.tsh.iq", "https://b.tsh.iq"),
        docs_enabled=False,
        cache_max_age=0,
    )
    preferred = Settings.from_env({**env, "CONSUMER_DATABASE_URL": "postgresql://c@h/db"})
    assert preferred.database_url == "postgresql://c@h/db"


def test_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path / '.tsh' / 'tsh.db'}"
    assert (settings.min_stock, settings.low_stock_threshold, settings.cache_max_age) == (1, 10, 60)
    assert (settings.pricelist_code, settings.cors_origins) == ("consumer_iqd", ())
    assert settings.docs_enabled is True


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONSUMER_MIN_STOCK", "many"), ("CONSUMER_CACHE_MAX_AGE", "-1"),
     ("CONSUMER_DOCS_ENABLED", "maybe")],
)  # fmt: skip
def test_bad_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"DATABASE_URL": "sqlite://", name: value})
