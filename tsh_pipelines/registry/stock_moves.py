"""Inventory's own stock documents: adjustments correct stock per warehouse, transfer orders
move it between warehouses."""

from __future__ import annotations

from tsh_pipelines.registry.model import (
    ADJUSTMENT_LINE_FIELDS,
    INVENTORY,
    REPLICA,
    STOCK_MOVES,
    TRANSFER_LINE_FIELDS,
    Entity,
    lines,
)

INVENTORY_ADJUSTMENTS = Entity(
    name="inventory_adjustments",
    description="Inventory adjustments (by quantity or by value, per warehouse) by "
    "document month, with line items from the detail call.",
    api=INVENTORY, path="inventoryadjustments", list_key="inventory_adjustments",
    record_key="inventory_adjustment", id_field="inventory_adjustment_id",
    group=STOCK_MOVES, webhook_route="inventory-adjustments", also_routes=("stock",),
    partition_field="date", detail_path="inventoryadjustments/{id}",
    children=(lines("inventory_adjustment_line_items", "inventory_adjustment",
                    ADJUSTMENT_LINE_FIELDS),),
    fields={**REPLICA, "date": "date", "reason": "reason",
            "adjustment_type": "adjustment_type", "status": "status",
            "reference_number": "reference_number", "total": "total"},
    moves_stock=True, refers_to=("warehouses",),
)  # fmt: skip

TRANSFER_ORDERS = Entity(
    name="transfer_orders",
    description="Transfer orders between warehouses by document month, with line items "
    "from the detail call.",
    api=INVENTORY, path="transferorders", list_key="transfer_orders",
    record_key="transfer_order", id_field="transfer_order_id", group=STOCK_MOVES,
    webhook_route="transfer-orders", partition_field="date",
    detail_path="transferorders/{id}",
    children=(lines("transfer_order_line_items", "transfer_order", TRANSFER_LINE_FIELDS),),
    fields={**REPLICA, "transfer_order_number": "transfer_order_number", "date": "date",
            "status": "status",
            "from_warehouse_zoho_id": "from_warehouse_id",
            "from_warehouse_name": "from_warehouse_name",
            "to_warehouse_zoho_id": "to_warehouse_id",
            "to_warehouse_name": "to_warehouse_name"},
    moves_stock=True, refers_to=("warehouses",),
)  # fmt: skip
