"""The data layer every service shares: tables, migrations, engine, dialect helpers."""

from tsh_db.engine import database_url, get_engine
from tsh_db.schema import metadata

__all__ = ["database_url", "get_engine", "metadata"]
