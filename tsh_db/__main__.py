"""`python -m tsh_db upgrade [rev] | downgrade [rev] | current | create-roles`."""

from __future__ import annotations

import argparse
import logging

from sqlalchemy.engine import Engine

from tsh_db import migrate
from tsh_db.engine import get_engine, is_postgres


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m tsh_db", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate the database to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate down to a revision (default: base)")
    down.add_argument("revision", nargs="?", default="base")
    sub.add_parser("current", help="show the database's revision")
    rev = sub.add_parser("revision", help="autogenerate a migration (developers)")
    rev.add_argument("message")
    sub.add_parser(
        "create-roles",
        help="create the least-privilege service roles (PostgreSQL; passwords from "
        "TSH_CONSUMER_DB_PASSWORD, TSH_PIPELINES_DB_PASSWORD, TSH_WEBHOOKS_DB_PASSWORD)",
    )
    args = parser.parse_args(argv)

    engine = get_engine()
    if args.command == "upgrade":
        migrate.upgrade(engine, args.revision)
    elif args.command == "downgrade":
        migrate.downgrade(engine, args.revision)
    elif args.command == "current":
        migrate.current(engine)
    elif args.command == "revision":
        migrate.revision(engine, args.message)
    elif args.command == "create-roles":
        _create_roles(engine)


def _create_roles(engine: Engine) -> None:
    if not is_postgres(engine):
        print("Database roles do not apply to SQLite: nothing to do.")
        return
    # Imported here: it needs psycopg2, which a SQLite-only install may lack.
    from tsh_db.roles import RolesError, create_roles

    try:
        configured = create_roles(engine)
    except RolesError as exc:
        raise SystemExit(f"create-roles failed: {exc}") from None
    for role in configured:
        print(f"{role.name}: ready ({role.description})")


if __name__ == "__main__":
    main()
