"""The registry's model: what one row says about a Zoho entity (rows: registry/*.py).

Each row says where the entity lives in Zoho (API, list path, envelope keys, id and cursor
fields), how its records map onto its table, whether it is partitioned by document month,
where its line items come from, and which webhook route delivers it. Assets, checks, webhook
routes and event handlers are all built from these rows: adding an entity is adding a row.

Plain data on the standard library only, so the webhook receiver can read it without Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

BOOKS, INVENTORY = "books", "inventory"
CATALOG, SALES, PURCHASES, SETTINGS = "catalog", "sales", "purchases", "settings"
STOCK_MOVES = "inventory"  # the asset group of Inventory's own stock documents

REPLICA = {"zoho_created_time": "created_time", "zoho_last_modified_time": "last_modified_time"}
LINE_ITEM_FIELDS = {
    "zoho_line_item_id": "line_item_id",
    "product_zoho_id": "item_id",
    "name": "name",
    "sku": "sku",
    "quantity": "quantity",
    "rate": "rate",
    "discount": "discount",
    "tax_percentage": "tax_percentage",
    "item_total": "item_total",
}
# The line fields of documents that move stock without a sale or purchase price.
_LINE_BASE = {k: LINE_ITEM_FIELDS[k] for k in ("zoho_line_item_id", "product_zoho_id", "name",
                                                "sku")}  # fmt: skip
ADJUSTMENT_LINE_FIELDS = {
    **_LINE_BASE, "quantity_adjusted": "quantity_adjusted", "value_adjusted": "value_adjusted",
    "warehouse_zoho_id": "warehouse_id", "warehouse_name": "warehouse_name",
}  # fmt: skip
TRANSFER_LINE_FIELDS = {**_LINE_BASE, "quantity_transfer": "quantity_transfer"}
PERSON_FIELDS = {
    "zoho_contact_person_id": "contact_person_id", "first_name": "first_name",
    "last_name": "last_name", "email": "email", "phone": "phone", "mobile": "mobile",
    "is_primary": "is_primary_contact",
}  # fmt: skip
ADDRESS_FIELDS = {
    "zoho_address_id": "address_id", "attention": "attention", "address": "address",
    "street2": "street2", "city": "city", "state": "state", "zip": "zip",
    "country": "country", "phone": "phone",
}  # fmt: skip


@dataclass(frozen=True)
class Child:
    """Rows that hang off a record and come only with its detail call: a document's line
    items, the invoices a payment was applied to, a contact's persons and addresses.

    Each key of `sources` names a list of rows in the detail record, or one object (a
    contact's `billing_address`); `kind_column`, when set, keeps which key a row came from.
    The rows of a record are replaced whole with each detail of a newer version."""

    table: str
    parent_column: str  # the parent's Zoho id
    fields: Mapping[str, str]  # column -> Zoho field of the row (dotted paths allowed)
    sources: tuple[str, ...] = ("line_items",)
    kind_column: str | None = None
    refers_to: tuple[str, ...] = ()  # lineage: the assets its rows point at


def lines(table: str, parent: str, fields: Mapping[str, str] = LINE_ITEM_FIELDS) -> Child:
    """A document's line items, which name items."""
    return Child(table, f"{parent}_zoho_id", fields, refers_to=("products",))


CONTACT_CHILDREN = (
    Child("contact_persons", "contact_zoho_id", PERSON_FIELDS, ("contact_persons",)),
    Child("contact_addresses", "contact_zoho_id", ADDRESS_FIELDS,
          ("billing_address", "shipping_address"), kind_column="address_type"),
)  # fmt: skip


@dataclass(frozen=True)
class Entity:
    name: str  # asset and table name
    description: str
    api: str  # where it is listed: books | inventory
    path: str  # list endpoint
    list_key: str
    record_key: str
    id_field: str
    group: str
    # column -> Zoho field; dotted paths reach into objects (custom_field_hash.cf_image_url)
    fields: Mapping[str, str]
    cursor_field: str | None = "last_modified_time"
    partition_field: str | None = None  # document month partitions when set
    detail_path: str | None = None  # "invoices/{id}": line items come only from here
    children: tuple[Child, ...] = ()  # what only the detail call gives, each its own table
    webhook_route: str | None = None
    # Other routes that also take this entity's record key, e.g. the `stock` route, where
    # TSH's Zoho sends its Inventory Adjustments rule. The route's own entity stays the default.
    also_routes: tuple[str, ...] = ()
    list_params: Mapping[str, str] = field(default_factory=dict)
    # Its changes move the stock of the items on its lines: stock refreshes follow them.
    moves_stock: bool = False
    # Entities that share one Zoho module (customers and vendors are both contacts) each
    # keep the records whose fields match; the listing asks Zoho for them by `list_params`,
    # and records of the other kind, if Zoho sends them anyway, are left to their own entity.
    match: Mapping[str, str] = field(default_factory=dict)
    refers_to: tuple[str, ...] = ()  # lineage: the assets its records point at
    # Zoho serves single records (`{path}/{id}`): deletes are confirmed by a 404, else by a
    # second listing (settings listings are one small call).
    by_id: bool = True
    # A listing with no cursor (settings) is repeated at most this often by incremental runs.
    refresh_hours: int | None = None

    @property
    def partitioned(self) -> bool:
        return self.partition_field is not None

    @property
    def line_items_table(self) -> str | None:
        """The first child table: set for every entity whose detail call carries rows."""
        return self.children[0].table if self.children else None

    @property
    def line_items_parent_column(self) -> str | None:
        return self.children[0].parent_column if self.children else None

    def keeps(self, record: Mapping) -> bool:
        """Whether a record of its Zoho module is this entity's (see `match`)."""
        return all(str(record.get(k, v)) == v for k, v in self.match.items())


def document_fields(number: str, party: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The columns every sales or purchase document maps (see `document_columns`)."""
    return {
        **REPLICA,
        number: number,
        f"{party}_zoho_id": f"{party}_id",
        f"{party}_name": f"{party}_name",
        "date": "date",
        "status": "status",
        "currency_code": "currency_code",
        "total": "total",
        **extra,
    }
