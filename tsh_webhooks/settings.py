"""The receiver's settings, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from tsh_db.engine import database_url
from tsh_db.service import env_int

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# A PostgreSQL server that does not answer must fail a delivery within Zoho's patience, not
# hang it: psycopg2 waits forever by default.
PG_CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Settings:
    database_url: str
    # repr=False: a logged or printed Settings must never show a secret.
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    admin_api_token: str | None = field(default=None, repr=False)
    # The orders outbox's service token (POST /api/tds/orders): never the admin token.
    orders_token: str | None = field(default=None, repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    dagster_ui_url: str | None = None
    # What a 503 asks Zoho to wait before redelivering.
    retry_after_seconds: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        secrets = tuple(s.strip() for s in env.get("ZOHO_WEBHOOK_SECRETS", "").split(","))
        return cls(
            # Only fall through to tsh_db when nothing is set: it creates the SQLite folder.
            database_url=env.get("DATABASE_URL") or database_url(),
            webhook_secrets=tuple(s for s in secrets if s),
            admin_api_token=env.get("ADMIN_API_TOKEN", "").strip() or None,
            orders_token=env.get("TSH_ORDERS_TOKEN", "").strip() or None,
            max_body_bytes=env_int(
                env, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1
            ),
            dagster_ui_url=env.get("DAGSTER_UI_URL", "").strip().rstrip("/") or None,
        )

    @property
    def engine_url(self) -> str:
        """The database URL with a connect timeout added for PostgreSQL, if none is set."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "postgresql" or "connect_timeout" in url.query:
            return self.database_url
        url = url.update_query_dict({"connect_timeout": str(PG_CONNECT_TIMEOUT_SECONDS)})
        return url.render_as_string(hide_password=False)

    @property
    def safe_database_url(self) -> str:
        """For logs: the URL without its password."""
        return make_url(self.database_url).render_as_string(hide_password=True)
