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
    """The replica. Empty `url` means DATABASE_URL, else the embedded SQLite file."""

    url: str = ""

    def engine(self) -> Engine:
        return get_engine(self.url or None)


class ZohoResource(dg.ConfigurableResource):
    """The only door to Zoho: hands out clients sharing the org-wide token, limits and budget."""

    client_id: str
    client_secret: str
    refresh_token: str
    organization_id: str
    api_base_url: str = SANDBOX_URL
    accounts_url: str = SANDBOX_URL
    books_rpm: int = 100
    inventory_rpm: int = 25
    books_daily_limit: int = 10_000
    inventory_daily_limit: int = 10_000
    webhook_reserve: float = 0.2

    def settings(self) -> ZohoSettings:
        return ZohoSettings(
            client_id=self.client_id, client_secret=self.client_secret,
            refresh_token=self.refresh_token, organization_id=self.organization_id,
            api_base_url=self.api_base_url, accounts_url=self.accounts_url,
            books_rpm=self.books_rpm, inventory_rpm=self.inventory_rpm,
            books_daily_limit=self.books_daily_limit,
            inventory_daily_limit=self.inventory_daily_limit,
            webhook_reserve=self.webhook_reserve,
        )  # fmt: skip

    def client(
        self, engine: Engine, log: logging.Logger | logging.LoggerAdapter, purpose: str = SYNC
    ) -> ZohoClient:
        return ZohoClient(self.settings(), engine, purpose=purpose, logger=log)


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment: secrets as EnvVar (never shown in the UI), URLs and
    limits read at load time with the local sandbox as the default."""
    return {
        "database": DatabaseResource(url=os.environ.get("DATABASE_URL", "")),
        "zoho": ZohoResource(
            client_id=dg.EnvVar("ZOHO_CLIENT_ID"),
            client_secret=dg.EnvVar("ZOHO_CLIENT_SECRET"),
            refresh_token=dg.EnvVar("ZOHO_REFRESH_TOKEN"),
            organization_id=dg.EnvVar("ZOHO_ORGANIZATION_ID"),
            api_base_url=os.environ.get("ZOHO_API_BASE_URL", SANDBOX_URL),
            accounts_url=os.environ.get("ZOHO_ACCOUNTS_URL", SANDBOX_URL),
            books_rpm=_int_env("ZOHO_BOOKS_RPM", 100),
            inventory_rpm=_int_env("ZOHO_INVENTORY_RPM", 25),
            books_daily_limit=_int_env("ZOHO_BOOKS_DAILY_LIMIT", 10_000),
            inventory_daily_limit=_int_env("ZOHO_INVENTORY_DAILY_LIMIT", 10_000),
            webhook_reserve=float(os.environ.get("ZOHO_WEBHOOK_RESERVE") or 0.2),
        ),
    }
