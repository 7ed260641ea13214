"""The entity registry: one declarative row per Zoho entity.

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
CATALOG, SALES, PURCHASES = "catalog", "sales", "purchases"
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
    line_items_table: str | None = None
    line_items_parent_column: str | None = None
    # line-item column -> Zoho line field (dotted paths allowed), for line_items_table
    line_item_fields: Mapping[str, str] = field(default_factory=lambda: LINE_ITEM_FIELDS)
    webhook_route: str | None = None
    # Other routes that also take this entity's record key, e.g. the `stock` route, where
    # TSH's Zoho sends its Inventory Adjustments rule. The route's own entity stays the default.
    also_routes: tuple[str, ...] = ()
    list_params: Mapping[str, str] = field(default_factory=dict)
    # Its changes move the stock of the items on its lines: stock refreshes follow them.
    moves_stock: bool = False

    @property
    def partitioned(self) -> bool:
        return self.partition_field is not None


def _document(number: str, party: str, extra: Mapping[str, str]) -> dict[str, str]:
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


ENTITIES: tuple[Entity, ...] = (
    Entity(
        name="products",
        description="Items, from the Books item listing (the items only Inventory has and "
        "every item's stock come with product_warehouse_stock, from Inventory).",
        api=BOOKS, path="items", list_key="items", record_key="item", id_field="item_id",
        group=CATALOG, webhook_route="products",
        list_params={"filter_by": "Status.All"},
        fields={
            **REPLICA, "name": "name", "sku": "sku", "description": "description",
            "category": "category_name", "brand": "brand", "unit": "unit", "status": "status",
            "price": "rate", "purchase_price": "purchase_rate",
            # Zoho's item image: the product_images asset fetches it when these change.
            "image_document_id": "image_document_id", "image_name": "image_name",
            "image_type": "image_type",
        },
    ),
    Entity(
        name="product_warehouse_stock",
        description="Stock from one Inventory listing, beside the Books work: every item's "
        "stock totals, the items only Inventory has, and per-warehouse stock: from the "
        "listing's locations[] where Zoho sends it (Locations), else one Inventory detail "
        "call per item whose Inventory record changed.",
        api=INVENTORY, path="items", list_key="items", record_key="item", id_field="item_id",
        group=CATALOG, webhook_route="stock", detail_path="items/{id}",
        fields={
            "warehouse_zoho_id": "warehouse_id", "warehouse_name": "warehouse_name",
            "stock_on_hand": "warehouse_stock_on_hand",
            "available_stock": "warehouse_available_stock",
            "actual_available_stock": "warehouse_actual_available_stock",
        },
    ),
    Entity(
        name="warehouses",
        description="Warehouses (Baghdad, Basra, Erbil…), from Inventory settings.",
        api=INVENTORY, path="settings/warehouses", list_key="warehouses",
        record_key="warehouse", id_field="warehouse_id", group=CATALOG, cursor_field=None,
        fields={"name": "warehouse_name", "status": "status", "is_primary": "is_primary",
                "city": "city"},
    ),
    Entity(
        name="customers",
        description="Contacts (customers and vendors) from Books.",
        api=BOOKS, path="contacts", list_key="contacts", record_key="contact",
        id_field="contact_id", group=SALES, webhook_route="customers",
        fields={
            **REPLICA, "name": "contact_name", "company_name": "company_name",
            "email": "email", "phone": "phone", "contact_type": "contact_type",
            "status": "status", "currency_code": "currency_code",
            "price_list_zoho_id": "pricebook_id",
            "outstanding_receivable": "outstanding_receivable_amount",
        },
    ),
    Entity(
        name="price_lists",
        description="Price books from Books; code is the slug of the name plus the currency "
        "(consumer_iqd).",
        api=BOOKS, path="pricebooks", list_key="pricebooks", record_key="pricebook",
        id_field="pricebook_id", group=CATALOG, webhook_route="prices", cursor_field=None,
        detail_path="pricebooks/{id}",
        fields={**REPLICA, "name": "name", "currency_code": "currency_code",
                "pricebook_type": "pricebook_type", "status": "status"},
    ),
    Entity(
        name="invoices",
        description="Sales invoices by document month, with line items from the detail call.",
        api=BOOKS, path="invoices", list_key="invoices", record_key="invoice",
        id_field="invoice_id", group=SALES, webhook_route="invoices",
        partition_field="date", detail_path="invoices/{id}",
        line_items_table="invoice_line_items", line_items_parent_column="invoice_zoho_id",
        fields=_document("invoice_number", "customer",
                         {"due_date": "due_date", "balance": "balance"}),
        moves_stock=True,
    ),
    Entity(
        name="bills",
        description="Purchase bills by document month, with line items from the detail call.",
        api=BOOKS, path="bills", list_key="bills", record_key="bill", id_field="bill_id",
        group=PURCHASES, webhook_route="bills", partition_field="date",
        detail_path="bills/{id}", line_items_table="bill_line_items",
        line_items_parent_column="bill_zoho_id",
        fields=_document("bill_number", "vendor", {"due_date": "due_date", "balance": "balance"}),
        moves_stock=True,
    ),
    Entity(
        name="credit_notes",
        description="Credit notes by document month, with line items from the detail call.",
        api=BOOKS, path="creditnotes", list_key="creditnotes", record_key="creditnote",
        id_field="creditnote_id", group=SALES, webhook_route="credit-notes",
        partition_field="date", detail_path="creditnotes/{id}",
        line_items_table="credit_note_line_items", line_items_parent_column="credit_note_zoho_id",
        fields=_document("creditnote_number", "customer", {"balance": "balance"}),
        moves_stock=True,
    ),
    Entity(
        name="sales_orders",
        description="Sales orders by document month, with line items from the detail call.",
        api=BOOKS, path="salesorders", list_key="salesorders", record_key="salesorder",
        id_field="salesorder_id", group=SALES, webhook_route="sales-orders",
        partition_field="date", detail_path="salesorders/{id}",
        line_items_table="sales_order_line_items", line_items_parent_column="sales_order_zoho_id",
        fields=_document("salesorder_number", "customer", {"shipment_date": "shipment_date"}),
        moves_stock=True,
    ),
    Entity(
        name="inventory_adjustments",
        description="Inventory adjustments (by quantity or by value, per warehouse) by "
        "document month, with line items from the detail call.",
        api=INVENTORY, path="inventoryadjustments", list_key="inventory_adjustments",
        record_key="inventory_adjustment", id_field="inventory_adjustment_id",
        group=STOCK_MOVES, webhook_route="inventory-adjustments", also_routes=("stock",),
        partition_field="date", detail_path="inventoryadjustments/{id}",
        line_items_table="inventory_adjustment_line_items",
        line_items_parent_column="inventory_adjustment_zoho_id",
        line_item_fields=ADJUSTMENT_LINE_FIELDS,
        fields={**REPLICA, "date": "date", "reason": "reason",
                "adjustment_type": "adjustment_type", "status": "status",
                "reference_number": "reference_number", "total": "total"},
        moves_stock=True,
    ),
    Entity(
        name="transfer_orders",
        description="Transfer orders between warehouses by document month, with line items "
        "from the detail call.",
        api=INVENTORY, path="transferorders", list_key="transfer_orders",
        record_key="transfer_order", id_field="transfer_order_id", group=STOCK_MOVES,
        webhook_route="transfer-orders", partition_field="date",
        detail_path="transferorders/{id}", line_items_table="transfer_order_line_items",
        line_items_parent_column="transfer_order_zoho_id", line_item_fields=TRANSFER_LINE_FIELDS,
        fields={**REPLICA, "transfer_order_number": "transfer_order_number", "date": "date",
                "status": "status",
                "from_warehouse_zoho_id": "from_warehouse_id",
                "from_warehouse_name": "from_warehouse_name",
                "to_warehouse_zoho_id": "to_warehouse_id",
                "to_warehouse_name": "to_warehouse_name"},
        moves_stock=True,
    ),
)  # fmt: skip

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}
BY_ROUTE: dict[str, Entity] = {e.webhook_route: e for e in ENTITIES if e.webhook_route}
# route -> every entity it takes, by record key: its own first, then those that also use it.
ROUTE_ENTITIES: dict[str, tuple[Entity, ...]] = {
    route: (own, *(e for e in ENTITIES if route in e.also_routes))
    for route, own in BY_ROUTE.items()
}


def entity(name: str) -> Entity:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(BY_NAME)}") from None
