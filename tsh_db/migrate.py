"""Alembic, driven from code: `python -m tsh_db upgrade|downgrade|current`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from tsh_db.engine import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _run(engine: Engine, fn, *args: object) -> None:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, *args)


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    _run(engine or get_engine(), command.upgrade, revision)


def downgrade(engine: Engine | None = None, revision: str = "base") -> None:
    _run(engine or get_engine(), command.downgrade, revision)


def current(engine: Engine | None = None) -> None:
    _run(engine or get_engine(), command.current)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the schema and the database."""
    _run(engine, command.revision, message, True)
