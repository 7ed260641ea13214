"""Registry row → SQLAlchemy table."""

from __future__ import annotations

from sqlalchemy import Table

from tsh_db.schema import metadata
from tsh_pipelines.entities import Entity


def table_of(entity: Entity) -> Table:
    return metadata.tables[entity.name]


def line_items_table_of(entity: Entity) -> Table | None:
    return metadata.tables[entity.line_items_table] if entity.line_items_table else None
