"""`python -m tsh_consumer_api --host 127.0.0.1 --port 8082`: serve the consumer price API."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from sqlalchemy.engine import make_url

from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings, SettingsError

log = logging.getLogger("tsh_consumer_api")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tsh_consumer_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        parser.exit(2, f"tsh_consumer_api: {exc}\n")
    log.info(
        "serving consumer prices from %s (price list %s)",
        make_url(settings.database_url).render_as_string(hide_password=True),
        settings.pricelist_code,
    )
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        server_header=False,
    )


if __name__ == "__main__":
    main()
