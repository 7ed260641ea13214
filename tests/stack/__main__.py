"""`python -m tests.stack [--keep]`: the driver of `make stack-test` (deploy/stack-test.sh
installs Docker and builds the base images first).

Builds the project image from the real Dockerfile, starts the real docker-compose.yml (plus
the sandbox overlay) with a test .env, runs every proof, rehearses an upgrade and a rollback,
and removes everything with `docker compose down -v`. Timings and image sizes go to
.tsh/stack-test/result.json; on a failure the services' logs go to .tsh/stack-test/logs/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.stack import lifecycle, proofs
from tests.stack.prepare import ROOT, Ports, Workdir, certificates, snapshot, test_env
from tests.stack.stack import ProofFailed, Stack

TAG, NEXT_TAG = "stack-test-1", "stack-test-2"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stack", description=__doc__)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the stack running after the proofs (no upgrade, no down)",
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".tsh" / "stack-test")
    args = parser.parse_args(argv)

    work, ports = Workdir(args.workdir.resolve()), Ports()
    results: list[dict[str, object]] = []
    started = time.monotonic()

    def step(name: str, action: Callable[[], str]) -> None:
        t0 = time.monotonic()
        print(f"-- {name} ...", flush=True)
        finding = action()
        seconds = round(time.monotonic() - t0, 1)
        results.append({"step": name, "seconds": seconds, "finding": finding})
        print(f"   ok ({seconds} s): {finding}", flush=True)

    snapshot(work)
    certificates(work)
    stack = Stack(work, ports, test_env(work, TAG, ports))
    stack.compose("down", "-v", "--remove-orphans")  # a previous run killed half-way
    ok = False
    try:
        step("build the image (make image)", lambda: lifecycle.build_image(stack, TAG))
        step("docker compose up -d", lambda: lifecycle.up(stack))
        step(
            "migrations and roles ran once",
            lambda: proofs.migrations_and_roles_ran_once(stack, TAG),
        )
        step(
            "Dagster webserver and daemon on PostgreSQL", lambda: proofs.dagster_on_postgres(stack)
        )
        step("first incremental_sync through the UI's API", lambda: proofs.first_sync(stack))
        step("consumer API through nginx, CORS", lambda: proofs.consumer_api_with_cors(stack))
        step("sandbox edit -> webhook -> replica", lambda: proofs.webhook_to_replica(stack))
        step("each service on its own role", lambda: proofs.own_roles_and_refused_writes(stack))
        step(
            "PostgreSQL restart mid-stream", lambda: proofs.postgres_restart_loses_no_webhook(stack)
        )
        if not args.keep:
            step(
                "upgrade and rollback", lambda: lifecycle.upgrade_and_rollback(stack, TAG, NEXT_TAG)
            )
            step("docker compose down -v", lambda: lifecycle.down_leaves_nothing(stack))
        ok = True
    except (ProofFailed, Exception) as exc:  # noqa: BLE001 - every failure is reported the same way
        print(f"   FAILED: {exc}", flush=True)
        if not isinstance(exc, ProofFailed):
            traceback.print_exc()
        stack.dump_logs()
        print(f"   service logs: {work.logs}", flush=True)
        if not args.keep:
            stack.compose("down", "-v", "--remove-orphans", check=False)
    total = round(time.monotonic() - started, 1)
    report = {"passed": ok, "seconds": total, "compose": " ".join(stack.command), "steps": results}
    (work.base / "result.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"stack test {'passed' if ok else 'FAILED'} in {total} s "
        f"({len(results)} steps passed; {work.base / 'result.json'})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
