"""Settings rows: small listings every document points at, listed whole at most daily.

Zoho gives them no `last_modified_time` filter (and no webhook): each listing is one call,
repeated by incremental runs once `refresh_hours` have passed, and by every full sync."""

from __future__ import annotations

from tsh_pipelines.registry.model import BOOKS, REPLICA, SETTINGS, Entity

DAILY = 24

ZOHO_USERS = Entity(
    name="zoho_users",
    description="Zoho users (Books /users): each customer's salesperson (owner_zoho_id) is "
    "one.",
    api=BOOKS, path="users", list_key="users", record_key="user", id_field="user_id",
    group=SETTINGS, cursor_field=None, by_id=False, refresh_hours=DAILY,
    fields={"name": "name", "email": "email", "role": "user_role", "role_zoho_id": "role_id",
            "status": "status"},
)  # fmt: skip

TAXES = Entity(
    name="taxes",
    description="Taxes from Books settings.",
    api=BOOKS, path="settings/taxes", list_key="taxes", record_key="tax", id_field="tax_id",
    group=SETTINGS, cursor_field=None, by_id=False, refresh_hours=DAILY,
    fields={"name": "tax_name", "percentage": "tax_percentage", "tax_type": "tax_type",
            "is_default": "is_default_tax"},
)  # fmt: skip

CURRENCIES = Entity(
    name="currencies",
    description="Currencies from Books settings, with the exchange rate to the base currency.",
    api=BOOKS, path="settings/currencies", list_key="currencies", record_key="currency",
    id_field="currency_id", group=SETTINGS, cursor_field=None, by_id=False,
    refresh_hours=DAILY,
    fields={"currency_code": "currency_code", "name": "currency_name",
            "symbol": "currency_symbol", "price_precision": "price_precision",
            "is_base": "is_base_currency", "exchange_rate": "exchange_rate"},
)  # fmt: skip

CHART_OF_ACCOUNTS = Entity(
    name="chart_of_accounts",
    description="The chart of accounts from Books: what payments and expenses post to.",
    api=BOOKS, path="chartofaccounts", list_key="chartofaccounts",
    record_key="chart_of_account", id_field="account_id", group=SETTINGS,
    cursor_field=None, by_id=False, refresh_hours=DAILY,
    fields={**REPLICA, "name": "account_name", "account_code": "account_code",
            "account_type": "account_type", "is_active": "is_active",
            "currency_code": "currency_code", "description": "description",
            "parent_account_zoho_id": "parent_account_id"},
)  # fmt: skip
