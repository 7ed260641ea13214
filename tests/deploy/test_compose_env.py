"""Every compose service gets the variables it reads and no other, and each secret only
where it is needed."""

from __future__ import annotations

import re

import yaml

from tests.deploy.test_deploy import ROOT, SERVICES, code_env_names

# Every variable holding a credential; a Slack incoming-webhook URL is one.
SECRETS = {
    "TSH_OWNER_DB_PASSWORD", "TSH_PIPELINES_DB_PASSWORD", "TSH_WEBHOOKS_DB_PASSWORD",
    "TSH_CONSUMER_DB_PASSWORD", "DAGSTER_PG_PASSWORD", "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN", "ZOHO_WEBHOOK_SECRETS", "ADMIN_API_TOKEN", "SMTP_PASSWORD",
    "ALERT_WEBHOOK_URL", "TSH_ORDERS_TOKEN", "CONSUMER_JWT_SECRET",
}  # fmt: skip
SECRETS_OF = {
    "postgres": {"TSH_OWNER_DB_PASSWORD", "DAGSTER_PG_PASSWORD"},
    "migrate": {"TSH_OWNER_DB_PASSWORD", "TSH_PIPELINES_DB_PASSWORD",
                "TSH_WEBHOOKS_DB_PASSWORD", "TSH_CONSUMER_DB_PASSWORD"},
    "dagster-code": {"TSH_PIPELINES_DB_PASSWORD", "DAGSTER_PG_PASSWORD", "ZOHO_CLIENT_SECRET",
                     "ZOHO_REFRESH_TOKEN", "SMTP_PASSWORD", "ALERT_WEBHOOK_URL"},
    "dagster-webserver": {"DAGSTER_PG_PASSWORD"},
    "dagster-daemon": {"DAGSTER_PG_PASSWORD"},
    "tsh-webhooks": {"TSH_WEBHOOKS_DB_PASSWORD", "ZOHO_WEBHOOK_SECRETS", "ADMIN_API_TOKEN",
                     "TSH_ORDERS_TOKEN"},
    "tsh-consumer-api": {"TSH_CONSUMER_DB_PASSWORD", "CONSUMER_JWT_SECRET"},
}  # fmt: skip
DAGSTER_STORAGE = {"DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER",
                   "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"}  # fmt: skip
# What each service's process reads: its packages (tsh_db is in all of ours), or for the
# upstream images what their entry points and our templates use.
PACKAGES = {
    "migrate": ("tsh_db",),
    "dagster-code": ("tsh_pipelines", "tsh_db"),
    "tsh-webhooks": ("tsh_webhooks", "tsh_db"),
    "tsh-consumer-api": ("tsh_consumer_api", "tsh_db"),
}
UPSTREAM = {
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "DAGSTER_PG_PASSWORD"},
    "nginx": {"TSH_DOMAIN"},
    "dagster-webserver": DAGSTER_STORAGE,
    "dagster-daemon": DAGSTER_STORAGE,
}
REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def reads(service: str) -> set[str]:
    if service in UPSTREAM:
        return UPSTREAM[service]
    names = set().union(*(code_env_names((p,)) for p in PACKAGES[service]))
    return names | (DAGSTER_STORAGE if service == "dagster-code" else set())


def test_each_service_gets_only_what_it_reads_and_only_its_secrets() -> None:
    for name, svc in SERVICES.items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), f"{name}: environment must be a mapping"
        assert "env_file" not in svc, f"{name}: env_file hands it the whole .env"
        assert set(env) <= reads(name), f"{name} gets what it never reads: {set(env) - reads(name)}"
        referenced = {v for value in env.values() for v in REFERENCE.findall(str(value))}
        assert referenced & SECRETS == SECRETS_OF.get(name, set()), name
    # Services not listed above (a sandbox, say) must hold no secret at all: checked by
    # SECRETS_OF.get(name, set()). The consumer API and the receiver get what they need.
    assert set(SERVICES["tsh-consumer-api"]["environment"]) >= {"CONSUMER_DATABASE_URL"}
    receiver = SERVICES["tsh-webhooks"]["environment"]
    assert {"DATABASE_URL", "ZOHO_WEBHOOK_SECRETS", "ADMIN_API_TOKEN"} <= set(receiver)
    assert "CONSUMER_DATABASE_URL" not in SERVICES["dagster-code"]["environment"]


def test_every_setting_of_env_example_reaches_the_service_that_reads_it() -> None:
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    # The DATABASE_URL each service gets is its own role's, written out in the compose file.
    for name, package in (("dagster-code", "tsh_pipelines"), ("tsh-webhooks", "tsh_webhooks"),
                          ("tsh-consumer-api", "tsh_consumer_api")):  # fmt: skip
        wanted = (code_env_names((package,)) & example) - {"DATABASE_URL"}
        missing = wanted - set(SERVICES[name]["environment"])
        assert not missing, f"{name} reads {missing} but compose never passes them"
    compose = (ROOT / "docker-compose.yml").read_text()
    for ref in set(REFERENCE.findall(compose)):
        assert ref in example, f"docker-compose.yml uses ${{{ref}}}, which .env.example lacks"


def test_the_stack_tests_sandbox_gets_no_secret_either() -> None:
    """The sandbox stands in for Zoho: it holds the webhook secret Zoho would hold (on its
    command line) and no other."""
    overlay = yaml.safe_load((ROOT / "deploy/stack-test/compose.stack-test.yml").read_text())
    sandbox = overlay["services"]["zoho-sandbox"]
    env = " ".join(map(str, (sandbox.get("environment") or {}).values()))
    assert not set(REFERENCE.findall(env)) & SECRETS and "env_file" not in sandbox
    assert not set(REFERENCE.findall(" ".join(sandbox["command"]))) & SECRETS
