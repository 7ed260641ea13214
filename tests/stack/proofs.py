"""What `make stack-test` proves about the running stack, one function a claim.

Each proof either returns a one-line finding for the report or raises ProofFailed saying
what was expected and what was seen. HTTP goes through nginx on 127.0.0.1 (TLS, the public
name); SQL runs as the owner inside the postgres container, which publishes no port.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from typing import Any

from tests.stack.prepare import APP_ORIGIN
from tests.stack.stack import ProofFailed, Stack, wait_for

SERVICE_ROLES = {  # service -> the (role, database) pairs it may connect as
    "tsh-webhooks": {("tsh_webhooks", "tsh")},
    "tsh-consumer-api": {("tsh_consumer", "tsh")},
    "dagster-code": {("tsh_pipelines", "tsh"), ("dagster", "dagster")},
    "dagster-daemon": {("tsh_pipelines", "tsh"), ("dagster", "dagster")},
    "dagster-webserver": {("tsh_pipelines", "tsh"), ("dagster", "dagster")},
}
APP_ROLES = ("tsh_pipelines", "tsh_webhooks", "tsh_consumer")
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on Error { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ProofFailed(message)


def zoho_epoch(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def migration_head(stack: Stack) -> str:
    """The newest revision in the snapshot's migrations: the one no other revises."""
    revisions, parents = set(), set()
    for path in (stack.work.src / "tsh_db/migrations/versions").glob("*.py"):
        text = path.read_text()
        revisions |= set(re.findall(r'^revision[^=]*=\s*"([^"]+)"', text, re.M))
        parents |= set(re.findall(r'^down_revision[^=]*=\s*"([^"]+)"', text, re.M))
    heads = revisions - parents
    check(len(heads) == 1, f"migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def migrations_and_roles_ran_once(stack: Stack, tag: str) -> str:
    migrate = stack.container("migrate")
    state = migrate["State"]
    check(
        not state["Running"] and state["ExitCode"] == 0,
        f"migrate: {state['Status']}, exit code {state['ExitCode']}",
    )
    check(
        migrate["Config"]["Image"].endswith(f":{tag}"), f"migrate ran {migrate['Config']['Image']}"
    )
    logs = stack.compose("logs", "--no-color", "migrate")
    for role in APP_ROLES:
        check(logs.count(f"{role}: ready") == 1, f"create-roles did not configure {role} once")
    head, current = migration_head(stack), stack.scalar("SELECT version_num FROM alembic_version")
    check(current == head, f"database at revision {current!r}, migrations' head is {head!r}")
    rows = stack.sql(
        "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole FROM pg_roles "
        "WHERE rolname IN ('tsh_pipelines', 'tsh_webhooks', 'tsh_consumer')"
    )
    check(sorted(r[0] for r in rows) == sorted(APP_ROLES), f"roles found: {rows}")
    check(all(r[1:] == ["t", "f", "f"] for r in rows), f"roles must log in, unprivileged: {rows}")
    roles = ", ".join(APP_ROLES)
    return f"migrate exited 0 once (head {head}); roles {roles} can log in, no privileges"


def dagster_on_postgres(stack: Stack) -> str:
    with stack.edge() as client:
        info = client.get("/server_info")
    check(info.status_code == 200, f"/server_info through nginx: {info.status_code}")
    version = info.json().get("dagster_version")

    def daemons() -> list[dict[str, Any]] | None:
        q = "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"
        found = stack.graphql(q)["instance"]["daemonHealth"]["allDaemonStatuses"]
        required = [d for d in found if d["required"]]
        return required if required and all(d["healthy"] for d in required) else None

    healthy = wait_for("every required Dagster daemon healthy", daemons, timeout=180, every=3)
    instance = stack.graphql("{ instance { info } }")["instance"]["info"] or ""
    for storage in ("run_storage", "event_log_storage", "schedule_storage"):
        check(
            re.search(rf"^{storage}: Postgres", instance, re.M) is not None,
            f"{storage} is not on PostgreSQL:\n{instance[:800]}",
        )
    beats = stack.scalar("SELECT count(*) FROM daemon_heartbeats", db="dagster")
    check(int(beats) >= len(healthy), f"{beats} daemon heartbeats in the dagster database")
    names = ", ".join(sorted(d["daemonType"] for d in healthy))
    return f"webserver {version} via nginx; daemons healthy ({names}); storage on PostgreSQL"


def launch(stack: Stack, job: str, tags: dict[str, str]) -> str:
    params = {
        "selector": {
            "repositoryLocationName": "tsh_pipelines",
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    result = stack.graphql(LAUNCH, {"p": params})["launchRun"]
    check(result["__typename"] == "LaunchRunSuccess", f"launch {job}: {result}")
    return result["run"]["runId"]


def wait_run(stack: Stack, run_id: str, timeout: float) -> str:
    def done() -> str | None:
        status = stack.graphql(RUN, {"id": run_id})["runOrError"].get("status")
        return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None

    status = wait_for(f"run {run_id} to finish", done, timeout=timeout, every=2)
    check(status == "SUCCESS", f"run {run_id} ended {status} (see the dagster-code log)")
    return status


def first_sync(stack: Stack) -> str:
    """README step 5: run incremental_sync once (the first run of each entity lists it all)."""
    partition = stack.exec(
        "dagster-code",
        "python",
        "-c",
        "from tsh_pipelines.assets.documents import MONTHLY; "
        "print(MONTHLY.get_last_partition_key())",
    ).stdout.strip()
    started = time.monotonic()
    run_id = launch(stack, "incremental_sync", {"dagster/partition": partition})
    wait_run(stack, run_id, timeout=900)
    products = stack.scalar("SELECT count(*) FROM products WHERE deleted_at IS NULL")
    check(int(products) > 0, "incremental_sync succeeded but no product is in the replica")
    took = time.monotonic() - started
    return f"incremental_sync {run_id[:8]} succeeded in {took:.0f} s: {products} products"


def consumer_api_with_cors(stack: Stack) -> str:
    with stack.edge() as client:
        ok = client.get("/api/consumer/products", headers={"Origin": APP_ORIGIN})
        alias = client.get("/api/bff/mobile/consumer/products")
        stranger = client.get("/api/consumer/products", headers={"Origin": "https://evil.test"})
        preflight = client.options(
            "/api/consumer/products",
            headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "GET"},
        )
    check(
        ok.status_code == 200, f"consumer products through nginx: {ok.status_code} {ok.text[:200]}"
    )
    total = ok.json()["total"]
    check(total > 0 and ok.json()["items"], "the consumer API lists no product after the sync")
    check(
        ok.headers.get("access-control-allow-origin") == APP_ORIGIN,
        f"allowed origin not echoed: {dict(ok.headers)}",
    )
    check(alias.status_code == 200 and alias.json()["total"] == total, "the /api/bff alias differs")
    check("access-control-allow-origin" not in stranger.headers, "CORS allowed an unlisted origin")
    check(
        preflight.status_code == 200
        and preflight.headers.get("access-control-allow-origin") == APP_ORIGIN,
        f"preflight: {preflight.status_code} {dict(preflight.headers)}",
    )
    return f"{total} consumer products via nginx; CORS echoes {APP_ORIGIN} only, preflight 200"


def edit(stack: Stack, entity: str) -> tuple[str, int]:
    """One record edited in the sandbox (Zoho): its id and new last_modified_time."""
    with stack.sandbox() as sb:
        resp = sb.post("/_sandbox/mutate", json={"entity": entity, "action": "update"})
    resp.raise_for_status()
    record = resp.json()["records"][0]
    return record["id"], zoho_epoch(record["last_modified_time"])


def replica_version(stack: Stack, table: str, zoho_id: str) -> int | None:
    value = stack.scalar(
        f"SELECT extract(epoch FROM zoho_last_modified_time)::bigint FROM {table} "
        f"WHERE zoho_id = '{zoho_id}'"
    )
    return int(value) if value else None


def webhook_to_replica(stack: Stack) -> str:
    started = time.monotonic()
    zoho_id, version = edit(stack, "items")
    wait_for(
        f"product {zoho_id} at version {version} in the replica",
        lambda: (replica_version(stack, "products", zoho_id) or 0) >= version,
        timeout=120,
    )
    latency = time.monotonic() - started
    status = stack.scalar(
        f"SELECT status FROM tds_sync_queue WHERE zoho_entity_id = '{zoho_id}' "
        "ORDER BY id DESC LIMIT 1"
    )
    check(status == "completed", f"queue row of {zoho_id}: {status!r}")
    nginx = stack.compose("logs", "--no-color", "nginx")
    check(
        re.search(r'"POST /api/zoho/webhooks/products\?[^"]*" 202', nginx) is not None,
        "nginx logged no 202 for a products webhook",
    )
    runs = stack.graphql(
        '{ runsOrError(filter: {pipelineName: "apply_webhook_events_job", '
        "statuses: [SUCCESS]}) { ... on Runs { count } } }"
    )
    check(runs["runsOrError"]["count"] > 0, "no successful apply_webhook_events_job run")
    return (
        f"sandbox edit of item {zoho_id} -> nginx 202 -> receiver -> sensor run -> replica "
        f"in {latency:.1f} s"
    )


def connections_by_service(stack: Stack) -> dict[str, set[tuple[str, str]]]:
    addresses = {}
    for container in stack.containers():
        service = container["Config"]["Labels"]["com.docker.compose.service"]
        for net in container["NetworkSettings"]["Networks"].values():
            addresses[net["IPAddress"]] = service
    seen: dict[str, set[tuple[str, str]]] = {}
    for addr, user, db in stack.sql(
        "SELECT host(client_addr), usename, datname "
        "FROM pg_stat_activity WHERE client_addr IS NOT NULL"
    ):
        seen.setdefault(addresses.get(addr, addr), set()).add((user, db))
    return seen


# Run inside a service's container with its own connection string. `WHERE false` changes
# nothing even where allowed, but PostgreSQL checks the privilege before planning.
REFUSED_WRITE = """
import os, sqlalchemy as sa
engine = sa.create_engine(os.environ["{var}"])
with engine.connect() as c:
    try:
        c.execute(sa.text("UPDATE products SET name = name WHERE false"))
    except sa.exc.ProgrammingError as exc:
        print("REFUSED", type(exc.orig).__name__)
    else:
        print("ALLOWED")
"""


def own_roles_and_refused_writes(stack: Stack) -> str:
    with stack.edge() as client:  # every service has just used its pool
        client.get("/api/consumer/products")

    def all_roles_connected() -> dict[str, set[tuple[str, str]]] | None:
        seen = connections_by_service(stack)
        users = {user for pairs in seen.values() for user, _ in pairs}
        return seen if users >= set(APP_ROLES) else None

    seen = wait_for("a connection of every service role", all_roles_connected, timeout=60, every=2)
    for service, pairs in seen.items():
        allowed = SERVICE_ROLES.get(service)
        check(
            pairs <= (allowed or set()),
            f"{service} connects as {sorted(pairs)}; allowed: {sorted(allowed or [])}",
        )
    for service, var in (
        ("tsh-consumer-api", "CONSUMER_DATABASE_URL"),
        ("tsh-webhooks", "DATABASE_URL"),
    ):
        out = stack.exec(service, "python", "-c", REFUSED_WRITE.format(var=var)).stdout
        check(
            "REFUSED InsufficientPrivilege" in out, f"{service}: UPDATE products -> {out.strip()}"
        )
    listing = "; ".join(
        f"{s}: {', '.join(sorted(f'{u}@{d}' for u, d in p))}" for s, p in sorted(seen.items())
    )
    return f"{listing}; UPDATE products refused for tsh_consumer and tsh_webhooks"


def postgres_restart_loses_no_webhook(stack: Stack, down_seconds: float = 5.0) -> str:
    """Edits keep coming before, during and after a PostgreSQL restart; every one must reach
    the replica. PostgreSQL stays down a few seconds so deliveries surely meet the outage."""
    latest: dict[tuple[str, str], int] = {}
    errors: list[BaseException] = []
    done = threading.Event()
    count = 0

    def stream() -> None:
        nonlocal count
        try:
            while not done.is_set():
                entity, table = ("items", "products") if count % 2 else ("contacts", "customers")
                zoho_id, version = edit(stack, entity)
                latest[(table, zoho_id)] = max(version, latest.get((table, zoho_id), 0))
                count += 1
                time.sleep(0.5)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    with stack.sandbox() as sb:
        before = sb.get("/_sandbox/stats").json()["webhooks"]
    writer = threading.Thread(target=stream)
    writer.start()
    wait_for("10 edits before the restart", lambda: count >= 10 or errors, timeout=60, every=0.2)
    restart_started = time.monotonic()
    stack.compose("stop", "postgres")
    time.sleep(down_seconds)
    stack.compose("start", "postgres")
    wait_for("postgres healthy again", lambda: stack.health("postgres") == "healthy", timeout=120)
    outage = time.monotonic() - restart_started
    after_restart = count
    wait_for(
        "10 edits after the restart",
        lambda: count >= after_restart + 10 or errors,
        timeout=60,
        every=0.2,
    )
    done.set()
    writer.join()
    check(not errors, f"the edit stream failed: {errors}")

    def missing() -> list[tuple[str, str]] | None:
        behind = [key for key, v in latest.items() if (replica_version(stack, *key) or 0) < v]
        return None if behind else [("all", "applied")]

    try:
        wait_for(
            f"all {len(latest)} edited records at their last version", missing, timeout=300, every=3
        )
    except ProofFailed:
        behind = [k for k, v in latest.items() if (replica_version(stack, *k) or 0) < v]
        raise ProofFailed(
            f"{len(behind)} of {len(latest)} records never caught up: {behind[:5]}"
        ) from None
    with stack.sandbox() as sb:
        after = sb.get("/_sandbox/stats").json()["webhooks"]
    check(after["failed"] == before["failed"], f"the sandbox gave up on deliveries: {after}")
    check(after["pending"] == 0, f"deliveries still pending: {after}")
    dead = stack.scalar(
        "SELECT count(*) FROM tds_sync_queue WHERE status IN ('failed', 'dead_letter')"
    )
    check(dead == "0", f"{dead} queue rows failed or dead-lettered")
    retried = after["attempts"] - before["attempts"] - (after["delivered"] - before["delivered"])
    # Without a refused delivery the outage was never met and nothing was proven.
    check(retried > 0, f"no delivery met the outage (sender stats {after})")
    return (
        f"{count} edits, PostgreSQL stopped for {outage:.0f} s (until healthy) mid-stream, "
        f"{retried} deliveries refused and retried by the sender; all {len(latest)} records "
        "at their last version, none dead"
    )
