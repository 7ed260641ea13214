"""`python -m tsh_webhooks --host 127.0.0.1 --port 8081`: serve the webhook receiver."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings, SettingsError

log = logging.getLogger("tsh_webhooks")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tsh_webhooks", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        parser.exit(2, f"tsh_webhooks: {exc}\n")
    _log_configuration(settings)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        server_header=False,
    )


def _log_configuration(settings: Settings) -> None:
    """Say what is configured and what is missing, never the secrets themselves."""
    log.info("storing webhooks in %s", settings.safe_database_url)
    if settings.webhook_secrets:
        log.info(
            "accepting deliveries signed with any of %d secret(s)", len(settings.webhook_secrets)
        )
    else:
        log.warning("ZOHO_WEBHOOK_SECRETS is not set: every delivery will be refused with 401")
    if not settings.admin_api_token:
        log.warning("ADMIN_API_TOKEN is not set: the ops endpoints will answer 503")


if __name__ == "__main__":
    main()
