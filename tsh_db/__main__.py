"""`python -m tsh_db upgrade [rev] | downgrade [rev] | current | create-roles`."""

from __future__ import annotations

import argparse
import logging

from tsh_db import migrate
from tsh_db.engine import get_engine


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


if __name__ == "__main__":
    main()
