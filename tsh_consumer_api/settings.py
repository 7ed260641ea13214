"""The consumer API's settings, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tsh_db.engine import database_url
from tsh_db.media import image_dir
from tsh_db.service import env_bool, env_int


@dataclass(frozen=True)
class Settings:
    """What the API shows is decided where the catalogue is built: CONSUMER_MIN_STOCK and
    CONSUMER_PRICELIST_CODE are the pipelines' settings (`tsh_pipelines.sync.catalog`)."""

    database_url: str
    low_stock_threshold: int = 10
    cors_origins: tuple[str, ...] = ()
    docs_enabled: bool = True
    # Cache-Control max-age for the app and any CDN in front; 0 means revalidate every time.
    cache_max_age: int = 1
    # A listing that takes longer is cut off with a 503 rather than holding a connection.
    statement_timeout_ms: int = 5000
    # How long the catalogue version read from the database is trusted: the most a change
    # takes to reach answers (ETags and the response cache follow the version).
    version_ttl_ms: int = 500
    # Responses kept per catalogue version, in process (0: none).
    response_cache_size: int = 2048
    # Pictures: image_url is absolute, from the address the app reaches this API (or nginx)
    # at; cdn_image_url is given too when a CDN fronts /media/. The API serves the files
    # from image_dir itself (the demo); in the compose stack nginx serves them first.
    public_base_url: str = "http://127.0.0.1:8092"
    cdn_base_url: str = ""
    image_dir: Path = field(default_factory=image_dir)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=_database_url(env),
            low_stock_threshold=env_int(env, "CONSUMER_LOW_STOCK_THRESHOLD", 10, minimum=0),
            cors_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("CONSUMER_CORS_ORIGINS", "").split(",")
                if o.strip()
            ),
            docs_enabled=env_bool(env, "CONSUMER_DOCS_ENABLED", True),
            cache_max_age=env_int(env, "CONSUMER_CACHE_MAX_AGE", 1, minimum=0),
            statement_timeout_ms=env_int(env, "CONSUMER_STATEMENT_TIMEOUT_MS", 5000, minimum=1),
            version_ttl_ms=env_int(env, "CONSUMER_VERSION_TTL_MS", 500, minimum=0),
            response_cache_size=env_int(env, "CONSUMER_RESPONSE_CACHE_SIZE", 2048, minimum=0),
            public_base_url=_base_url(env, "CONSUMER_PUBLIC_BASE_URL", "http://127.0.0.1:8092"),
            cdn_base_url=_base_url(env, "CONSUMER_CDN_BASE_URL", ""),
            image_dir=image_dir(env),
        )


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    url = env.get(name, "").strip().rstrip("/") or default
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an absolute http(s) URL, e.g. https://api.tsh-iq.com")
    return url


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("CONSUMER_DATABASE_URL") or env.get("DATABASE_URL")
    # Only fall through to tsh_db when nothing is set: it creates the default SQLite folder.
    return url or database_url("CONSUMER_DATABASE_URL")
