"""Catalogue rows: items, their stock, warehouses, price books."""

from __future__ import annotations

from tsh_pipelines.registry.model import BOOKS, CATALOG, INVENTORY, REPLICA, Entity

PRODUCTS = Entity(
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
)  # fmt: skip

STOCK = Entity(
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
    refers_to=("products",),
)  # fmt: skip

WAREHOUSES = Entity(
    name="warehouses",
    description="Warehouses (Baghdad, Basra, Erbil…), from Inventory settings.",
    api=INVENTORY, path="settings/warehouses", list_key="warehouses",
    record_key="warehouse", id_field="warehouse_id", group=CATALOG, cursor_field=None,
    fields={"name": "warehouse_name", "status": "status", "is_primary": "is_primary",
            "city": "city"},
    by_id=False,
)  # fmt: skip

PRICE_LISTS = Entity(
    name="price_lists",
    description="Price books from Books; code is the slug of the name plus the currency "
    "(consumer_iqd).",
    api=BOOKS, path="pricebooks", list_key="pricebooks", record_key="pricebook",
    id_field="pricebook_id", group=CATALOG, webhook_route="prices", cursor_field=None,
    detail_path="pricebooks/{id}",
    fields={**REPLICA, "name": "name", "currency_code": "currency_code",
            "pricebook_type": "pricebook_type", "status": "status"},
)  # fmt: skip
