"""The consumer API's settings, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tsh_db.engine import database_url
from tsh_db.service import env_bool, env_int


@dataclass(frozen=True)
class Settings:
    database_url: str
    min_stock: int = 1
    low_stock_threshold: int = 10
    pricelist_code: str = "consumer_iqd"
    cors_origins: tuple[str, ...] = ()
    docs_enabled: bool = True
    cache_max_age: int = 60
    # A listing that takes longer is cut off with a 503 rather than holding a connection.
    statement_timeout_ms: int = 5000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=_database_url(env),
            min_stock=env_int(env, "CONSUMER_MIN_STOCK", 1, minimum=0),
            low_stock_threshold=env_int(env, "CONSUMER_LOW_STOCK_THRESHOLD", 10, minimum=0),
            pricelist_code=env.get("CONSUMER_PRICELIST_CODE", "").strip() or "consumer_iqd",
            cors_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("CONSUMER_CORS_ORIGINS", "").split(",")
                if o.strip()
            ),
            docs_enabled=env_bool(env, "CONSUMER_DOCS_ENABLED", True),
            cache_max_age=env_int(env, "CONSUMER_CACHE_MAX_AGE", 60, minimum=0),
            statement_timeout_ms=env_int(env, "CONSUMER_STATEMENT_TIMEOUT_MS", 5000, minimum=1),
        )


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("CONSUMER_DATABASE_URL") or env.get("DATABASE_URL")
    # Only fall through to tsh_db when nothing is set: it creates the default SQLite folder.
    return url or database_url("CONSUMER_DATABASE_URL")
