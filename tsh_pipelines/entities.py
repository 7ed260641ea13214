"""The entity registry: one declarative row per Zoho entity (rows: `registry/*.py`).

Each row says where the entity lives in Zoho (API, list path, envelope keys, id and cursor
fields), how its records map onto its table, whether it is partitioned by document month,
what only its detail call gives (line items, a payment's invoices, a contact's persons), and
which webhook route delivers it. Assets, checks, webhook routes and event handlers are all
built from these rows: adding an entity is adding a row, a table and a migration.

Plain data on the standard library only, so the webhook receiver can read it without Dagster.
"""

from __future__ import annotations

from tsh_pipelines.registry.catalog import PRICE_LISTS, PRODUCTS, STOCK, WAREHOUSES
from tsh_pipelines.registry.model import (
    BOOKS,
    CATALOG,
    INVENTORY,
    LINE_ITEM_FIELDS,
    PURCHASES,
    SALES,
    SETTINGS,
    STOCK_MOVES,
    Child,
    Entity,
)
from tsh_pipelines.registry.purchases import (
    BILLS,
    EXPENSES,
    PURCHASE_ORDERS,
    VENDOR_CREDITS,
    VENDOR_PAYMENTS,
    VENDORS,
)
from tsh_pipelines.registry.sales import (
    CREDIT_NOTES,
    CUSTOMER_PAYMENTS,
    CUSTOMERS,
    ESTIMATES,
    INVOICES,
    SALES_ORDERS,
)
from tsh_pipelines.registry.settings import CHART_OF_ACCOUNTS, CURRENCIES, TAXES, ZOHO_USERS
from tsh_pipelines.registry.stock_moves import INVENTORY_ADJUSTMENTS, TRANSFER_ORDERS

ENTITIES: tuple[Entity, ...] = (
    PRODUCTS, STOCK, WAREHOUSES, CUSTOMERS, PRICE_LISTS, INVOICES, BILLS, CREDIT_NOTES,
    SALES_ORDERS, INVENTORY_ADJUSTMENTS, TRANSFER_ORDERS,
    VENDORS, ESTIMATES, CUSTOMER_PAYMENTS, PURCHASE_ORDERS, VENDOR_CREDITS, VENDOR_PAYMENTS,
    EXPENSES, ZOHO_USERS, TAXES, CURRENCIES, CHART_OF_ACCOUNTS,
)  # fmt: skip

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}
BY_ROUTE: dict[str, Entity] = {e.webhook_route: e for e in ENTITIES if e.webhook_route}
# route -> every entity it takes, by record key: its own first, then those that also use it.
ROUTE_ENTITIES: dict[str, tuple[Entity, ...]] = {
    route: (own, *(e for e in ENTITIES if route in e.also_routes))
    for route, own in BY_ROUTE.items()
}
# (api, path) -> the entities that one Zoho module is split into, in registry order.
BY_MODULE: dict[tuple[str, str], tuple[Entity, ...]] = {}
for _e in ENTITIES:
    BY_MODULE[(_e.api, _e.path)] = (*BY_MODULE.get((_e.api, _e.path), ()), _e)


def owner_of(entity: Entity, record: object) -> Entity:
    """The entity a record of `entity`'s module belongs to: a vendor contact delivered on the
    customers route is a vendor. Without the fields to tell, the entity itself."""
    if not isinstance(record, dict) or any(k not in record for k in entity.match):
        return entity
    return next((e for e in BY_MODULE[(entity.api, entity.path)] if e.keeps(record)), entity)


def entity(name: str) -> Entity:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(BY_NAME)}") from None
