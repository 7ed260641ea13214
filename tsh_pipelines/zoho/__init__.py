"""The Zoho client: OAuth, rate limits, retries, paging, Books-first. Nothing else calls Zoho."""

from tsh_pipelines.zoho.client import PER_PAGE, ZohoClient
from tsh_pipelines.zoho.errors import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoBudgetExhausted,
    ZohoDailyLimitError,
    ZohoError,
)
from tsh_pipelines.zoho.limits import SYNC, WEBHOOK
from tsh_pipelines.zoho.settings import BOOKS, INVENTORY, ZohoSettings

__all__ = [
    "BOOKS", "INVENTORY", "PER_PAGE", "SYNC", "WEBHOOK", "ZohoAPIError", "ZohoAuthError",
    "ZohoBudgetExhausted", "ZohoClient", "ZohoDailyLimitError", "ZohoError", "ZohoSettings",
]  # fmt: skip
