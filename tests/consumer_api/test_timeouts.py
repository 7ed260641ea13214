"""A blocked or slow database answers 503 with Retry-After, never a hang or a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.consumer_api.catalogue import build
from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.engine import get_engine


def test_a_query_blocked_past_the_statement_timeout_is_a_503(pg_url: str) -> None:
    build(get_engine(pg_url))
    settings = Settings(database_url=pg_url, statement_timeout_ms=300)
    locker = get_engine(pg_url).connect()
    locker.execute(text("LOCK TABLE consumer_catalog IN ACCESS EXCLUSIVE MODE"))  # a migration
    try:
        with TestClient(create_app(settings)) as client:
            response = client.get("/api/consumer/products")
            client.app.state.engine.dispose()  # type: ignore[attr-defined]
    finally:
        locker.rollback()
        locker.close()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "unavailable" in response.json()["detail"]
