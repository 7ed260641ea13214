"""Caching, CORS, docs, health, settings and the read-only engine, in process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from tests.consumer_api.catalogue import NOW, AppClient, pid, product_row
from tests.consumer_api.test_listing import count_queries
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.engine import get_engine
from tsh_db.schema import consumer_catalog_state, product_prices, products
from tsh_db.service import SettingsError
from tsh_pipelines.sync.catalog import refresh_catalog

LISTING = "/api/consumer/products"


def test_responses_are_cacheable_with_a_strong_etag(make_client: Callable[..., AppClient]) -> None:
    response = make_client(cache_max_age=120).get(LISTING)
    cdn = "public, max-age=120, stale-while-revalidate=120, stale-if-error=300"
    assert response.headers["cache-control"] == cdn
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    detail = make_client().get(f"{LISTING}/{pid(1)}")
    assert detail.headers["cache-control"].startswith("public, max-age=1,")
    assert detail.headers["etag"] not in ("", etag)
    revalidate = make_client(cache_max_age=0).get(LISTING)
    assert revalidate.headers["cache-control"] == "public, no-cache, stale-if-error=300"


def test_matching_if_none_match_is_304_without_a_body(client: AppClient) -> None:
    first = client.get(LISTING, params={"per_page": 5})
    etag = first.headers["etag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = client.get(LISTING, params={"per_page": 5}, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == first.headers["cache-control"]
    other_page = client.get(LISTING, params={"per_page": 6}, headers={"If-None-Match": etag})
    assert other_page.status_code == 200 and other_page.json()["items"]
    # `*` matches only an answer that exists: a bad request is still refused
    bad = client.get(LISTING, params={"per_page": 0}, headers={"If-None-Match": "*"})
    assert bad.status_code == 422


def test_etag_and_answer_change_when_the_catalogue_changes(
    catalogue_url: str, make_client: Callable[..., AppClient]
) -> None:
    client = make_client(version_ttl_ms=0)
    before = client.get(f"{LISTING}/{pid(1)}").headers["etag"]
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(update(products).where(products.c.zoho_id == pid(1)).values(name="Fan 2"))
        refresh_catalog(conn, [pid(1)])  # as every write point does
    after = client.get(f"{LISTING}/{pid(1)}", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.json()["name"] == "Fan 2" and after.headers["etag"] != before


def test_a_current_etag_and_a_repeat_touch_no_table(make_client: Callable[..., AppClient]) -> None:
    client = make_client(version_ttl_ms=60_000)
    first = client.get(LISTING, params={"search": "fan"})
    engine = client.app.state.engine
    with count_queries(engine) as statements:
        again = client.get(LISTING, params={"search": "fan"})
        revalidated = client.get(
            LISTING, params={"search": "fan"}, headers={"If-None-Match": first.headers["etag"]}
        )
    assert statements == []
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert revalidated.status_code == 304
    uncached = make_client(version_ttl_ms=60_000, response_cache_size=0)
    uncached.get(LISTING)
    with count_queries(uncached.app.state.engine) as statements:
        assert uncached.get(LISTING).status_code == 200
    assert len(statements) == 1  # the listing itself; the version is still fresh


def test_the_version_is_read_again_only_after_its_ttl(
    catalogue_url: str, make_client: Callable[..., AppClient]
) -> None:
    client = make_client(version_ttl_ms=1000)
    now = [0.0]
    client.app.state.catalog.clock = lambda: now[0]
    before = client.get(f"{LISTING}/{pid(1)}").json()["price"]
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(update(product_prices).where(product_prices.c.product_zoho_id == pid(1))
                     .values(price=16000))  # fmt: skip
        refresh_catalog(conn, [pid(1)])
    now[0] = 0.9  # within the TTL: the version this process read, and its cached answer
    assert client.get(f"{LISTING}/{pid(1)}").json()["price"] == before == 15000
    now[0] = 1.0  # the TTL is over: the new version, and the new price
    assert client.get(f"{LISTING}/{pid(1)}").json()["price"] == 16000


def test_an_unbuilt_catalogue_is_503_saying_so(
    catalogue_url: str, make_client: Callable[..., AppClient]
) -> None:
    with get_engine(catalogue_url).begin() as conn:
        conn.execute(delete(consumer_catalog_state))
    response = make_client().get(LISTING)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "materialize consumer_catalog" in response.json()["detail"]


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
    models = {"ConsumerProduct", "ProductPage", "Category", "CategoryList", "Health"}
    assert models <= set(schema["components"]["schemas"])
    assert {"/api/bff/mobile/consumer/products", "/api/consumer/categories"} <= set(schema["paths"])
    listing = schema["paths"][LISTING]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"page", "per_page", "cursor", "search", "category", "min_price", "max_price",
            "sort"} <= set(params)  # fmt: skip
    assert {"304", "422", "503"} <= set(listing["responses"])
    sort = params["sort"]["schema"]["anyOf"][0]
    assert set(sort["enum"]) == {"relevance", "name", "price_asc", "price_desc", "newest"}
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
        "CONSUMER_LOW_STOCK_THRESHOLD": "5",
        "CONSUMER_CORS_ORIGINS": "https://a.tsh.iq/, https://b.tsh.iq,,",
        "CONSUMER_DOCS_ENABLED": "false",
        "CONSUMER_CACHE_MAX_AGE": "0",
        "CONSUMER_VERSION_TTL_MS": "250",
        "CONSUMER_RESPONSE_CACHE_SIZE": "0",
    }
    assert Settings.from_env(env) == Settings(
        database_url="sqlite:///fallback.db",
        low_stock_threshold=5,
        cors_origins=("https://a.tsh.iq", "https://b.tsh.iq"),
        docs_enabled=False,
        cache_max_age=0,
        version_ttl_ms=250,
        response_cache_size=0,
    )
    preferred = Settings.from_env({**env, "CONSUMER_DATABASE_URL": "postgresql://c@h/db"})
    assert preferred.database_url == "postgresql://c@h/db"


def test_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path / '.tsh' / 'tsh.db'}"
    assert (settings.low_stock_threshold, settings.cache_max_age) == (10, 1)
    assert (settings.version_ttl_ms, settings.response_cache_size) == (500, 2048)
    assert settings.cors_origins == () and settings.docs_enabled is True


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONSUMER_LOW_STOCK_THRESHOLD", "many"), ("CONSUMER_CACHE_MAX_AGE", "-1"),
     ("CONSUMER_DOCS_ENABLED", "maybe"), ("CONSUMER_VERSION_TTL_MS", "-5")],
)  # fmt: skip
def test_bad_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"DATABASE_URL": "sqlite://", name: value})
