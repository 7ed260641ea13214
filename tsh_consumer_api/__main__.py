"""`python -m tsh_consumer_api --host 127.0.0.1 --port 8082`: serve the consumer price API."""

from __future__ import annotations

import logging

from sqlalchemy.engine import make_url

from tsh_consumer_api.app import create_app
from tsh_consumer_api.settings import Settings
from tsh_db.service import serve

log = logging.getLogger("tsh_consumer_api")


def _describe(settings: Settings) -> None:
    log.info(
        "serving the consumer catalogue from %s",
        make_url(settings.database_url).render_as_string(hide_password=True),
    )


def main(argv: list[str] | None = None) -> None:
    serve("tsh_consumer_api", __doc__, 8082, Settings.from_env, create_app, _describe, argv)


if __name__ == "__main__":
    main()
