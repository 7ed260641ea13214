"""Dagster resources: the database and the Zoho client (credentials through EnvVar)."""

from __future__ import annotations

import logging
import os

import dagster as dg
from sqlalchemy.engine import Engine

from tsh_db.engine import get_engine
from tsh_pipelines.zoho import SYNC, ZohoClient, ZohoSettings
from tsh_pipelines.zoho.settings import SANDBOX_URL


class DatabaseResource(dg.ConfigurableResource):
    """The replica. Empty `url` means DATABASE_URL, else the embedded SQLite file.

    Deployed, `url` is `EnvVar("DATABASE_URL")`: the URL carries the role's password, and
    Dagster shows a resource's plain config values in the UI but only the name of an EnvVar.
    """

    url: str = ""

    def engine(self) -> Engine:
        return get_engine(self.url or None)


class ZohoResource(dg.ConfigurableResource):
    """The only door to Zoho: hands out clients sharing the org-wide token, limits and budget.

    Limits left unset come from the ZOHO_* environment (see .env.example), as everywhere else.
    """

    client_id: str
    client_secret: str
    refresh_token: str
    organization_id: str
    api_base_url: str = SANDBOX_URL
    accounts_url: str = SANDBOX_URL
    books_rpm: int | None = None
    inventory_rpm: int | None = None
    books_daily_limit: int | None = None
    inventory_daily_limit: int | None = None
    webhook_reserve: float | None = None
    max_in_flight: int | None = None

    def settings(self) -> ZohoSettings:
        fields = self.model_dump()
        return ZohoSettings.from_env(**{k: v for k, v in fields.items() if v is not None})

    def client(
        self, engine: Engine, log: logging.Logger | logging.LoggerAdapter, purpose: str = SYNC
    ) -> ZohoClient:
        return ZohoClient(self.settings(), engine, purpose=purpose, logger=log)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Secrets as EnvVar (never shown in the UI or run config): DATABASE_URL, which holds a
    password, and the Zoho credentials. Zoho URLs are read at load time, defaulting to the
    local sandbox; limits come from the environment when a client is made."""
    # Without DATABASE_URL the embedded SQLite file is meant, and an EnvVar of an unset
    # variable would fail every run instead.
    database_url = dg.EnvVar("DATABASE_URL") if os.environ.get("DATABASE_URL") else ""
    return {
        "database": DatabaseResource(url=database_url),
        "zoho": ZohoResource(
            client_id=dg.EnvVar("ZOHO_CLIENT_ID"),
            client_secret=dg.EnvVar("ZOHO_CLIENT_SECRET"),
            refresh_token=dg.EnvVar("ZOHO_REFRESH_TOKEN"),
            organization_id=dg.EnvVar("ZOHO_ORGANIZATION_ID"),
            api_base_url=os.environ.get("ZOHO_API_BASE_URL", SANDBOX_URL),
            accounts_url=os.environ.get("ZOHO_ACCOUNTS_URL", SANDBOX_URL),
        ),
    }
