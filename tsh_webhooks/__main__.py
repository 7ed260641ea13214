"""`python -m tsh_webhooks --host 127.0.0.1 --port 8081`: serve the webhook receiver."""

from __future__ import annotations

import logging

from tsh_db.service import serve
from tsh_webhooks.app import create_app
from tsh_webhooks.settings import Settings

log = logging.getLogger("tsh_webhooks")


def main(argv: list[str] | None = None) -> None:
    serve("tsh_webhooks", __doc__, 8081, Settings.from_env, create_app, _log_configuration, argv)


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
