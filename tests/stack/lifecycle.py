"""Building, starting, upgrading and removing the stack, as the README tells an operator."""

from __future__ import annotations

import subprocess
import time

from tests.stack import proofs
from tests.stack.prepare import set_env
from tests.stack.stack import PROJECT, ProofFailed, Stack, docker, wait_for

IMAGE = "tsh-zoho-sync"
LONG_RUNNING = (
    "postgres",
    "dagster-code",
    "dagster-webserver",
    "dagster-daemon",
    "tsh-webhooks",
    "tsh-consumer-api",
    "nginx",
    "zoho-sandbox",
)
APP_SERVICES = (
    "migrate",
    "dagster-code",
    "dagster-webserver",
    "dagster-daemon",
    "tsh-webhooks",
    "tsh-consumer-api",
)


def build_image(stack: Stack, tag: str) -> str:
    """README: `make image TAG=...` (wheels from the lock, then `docker build`)."""
    subprocess.run(
        ["make", "--no-print-directory", "image", f"TAG={tag}"],
        cwd=stack.work.src,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    size = int(docker("image", "inspect", "-f", "{{.Size}}", f"{IMAGE}:{tag}"))
    return f"{IMAGE}:{tag}: {size / 1e6:.0f} MB"


def all_healthy(stack: Stack, timeout: float = 300) -> str:
    def states() -> dict[str, str] | None:
        found = {name: stack.health(name) for name in LONG_RUNNING}
        bad = {k: v for k, v in found.items() if v in ("unhealthy", "exited", "dead")}
        if bad:
            raise ProofFailed(f"services failing: {bad}")
        return found if all(v == "healthy" for v in found.values()) else None

    started = time.monotonic()
    wait_for("every long-running service healthy", states, timeout=timeout, every=2)
    return f"{len(LONG_RUNNING)} services healthy after {time.monotonic() - started:.0f} s more"


def up(stack: Stack) -> str:
    started = time.monotonic()
    stack.compose("up", "-d")
    returned = time.monotonic() - started
    healthy = all_healthy(stack)
    # A service that died and was restarted by its policy still ends up healthy: say so.
    restarts = {c["Name"].strip("/"): c["RestartCount"] for c in stack.containers()}
    restarted = {name: n for name, n in restarts.items() if n}
    note = f"; restarted by Docker: {restarted}" if restarted else "; no service restarted"
    return f"`up -d` returned in {returned:.0f} s; {healthy}{note}"


def runs_tag(stack: Stack, tag: str) -> None:
    for service in APP_SERVICES:
        image = stack.container(service)["Config"]["Image"]
        proofs.check(image == f"{IMAGE}:{tag}", f"{service} runs {image}, expected tag {tag}")


def switch_tag(stack: Stack, tag: str) -> str:
    """README: set TSH_TAG in .env, `docker compose up -d`; migrate runs, health returns."""
    set_env(stack.work, "TSH_TAG", tag)
    started = time.monotonic()
    stack.compose("up", "-d")
    all_healthy(stack)
    took = time.monotonic() - started
    runs_tag(stack, tag)
    migrated = proofs.migrations_and_roles_ran_once(stack, tag)
    # nginx was not recreated: it must reach the recreated services at their new addresses.
    flow = proofs.webhook_to_replica(stack)
    proofs.consumer_api_with_cors(stack)
    migrated, latency = migrated.split(";")[0], flow.split(" in ")[-1]
    return f"TSH_TAG={tag}: healthy in {took:.0f} s; {migrated}; a webhook applied in {latency}"


def upgrade_and_rollback(stack: Stack, old: str, new: str) -> str:
    built = build_image(stack, new)
    upgraded = switch_tag(stack, new)
    rolled_back = switch_tag(stack, old)
    return f"built {built}; upgrade: {upgraded}; rollback: {rolled_back}"


def leftovers() -> dict[str, list[str]]:
    label = f"label=com.docker.compose.project={PROJECT}"
    return {
        "containers": docker("ps", "-aq", "--filter", label).split(),
        "volumes": docker("volume", "ls", "-q", "--filter", label).split(),
        "networks": docker("network", "ls", "-q", "--filter", label).split(),
    }


def down_leaves_nothing(stack: Stack) -> str:
    stack.compose("down", "-v", "--remove-orphans")
    left = {kind: ids for kind, ids in leftovers().items() if ids}
    named = docker("volume", "ls", "-q", "--filter", f"name={PROJECT}_").split()
    proofs.check(not left and not named, f"`down -v` left {left or named}")
    return "`down -v`: no container, volume or network of the project is left"
