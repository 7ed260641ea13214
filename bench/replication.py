"""1. Replication throughput: a full list-level sync of items and invoices into PostgreSQL.

Ours: `sync_item_listings` (the Books item listing, then the one Inventory listing) and
`sync_entity` on invoices without detail calls (a copy of the registry row with no line-item
table), both in full-refresh mode. Peer, in the same run and against the same sandbox:
dlt's `rest_api` source loading the same three listings with `merge` on the Zoho id into
another database on the same server.

    python -m bench.replication [--size 100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import (
    ORG_ID,
    ROOMY,
    Timer,
    note,
    sandbox_totals,
    save,
    settings_for,
    setup_logging,
    sync_item_listings,
    table,
    temp_database,
    title,
)
from tsh_db.engine import get_engine
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.replicate import FULL_REFRESH, sync_entity
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

log = logging.getLogger("bench.replication")
INVOICES_LIST_LEVEL = dataclasses.replace(BY_NAME["invoices"], detail_path=None, children=())
# The same three listings both loaders read: (name, path, list key, id, extra params).
ENDPOINTS = (
    ("books_items", "books/v3/items", "items", "item_id", {"filter_by": "Status.All"}),
    ("inventory_items", "inventory/v1/items", "items", "item_id", {"filter_by": "Status.All"}),
    ("invoices", "books/v3/invoices", "invoices", "invoice_id", {}),
)


class CountingClient(ZohoClient):
    """The product's client, counting the records its listings hand out."""

    records = 0

    def pages(self, *args: Any, **kwargs: Any) -> Iterator[list[dict]]:
        for page in super().pages(*args, **kwargs):
            self.records += len(page)
            yield page


def api_calls(before: Mapping[str, Any], after: Mapping[str, Any]) -> int:
    return sum(after[a]["total"] - before.get(a, {}).get("total", 0) for a in after)


def run_ours(sandbox: SandboxProcess, url: str) -> dict[str, Any]:
    engine = get_engine(url)
    phases: list[dict[str, Any]] = []
    before = sandbox_totals(sandbox)
    total = Timer()
    for name, fn in (
        (
            "products (Books + Inventory)",
            lambda c: sync_item_listings(c, engine, log),
        ),
        (
            "invoices (list level)",
            lambda c: sync_entity(c, engine, INVOICES_LIST_LEVEL, mode=FULL_REFRESH, log=log),
        ),
    ):
        with CountingClient(settings_for(sandbox, **ROOMY), engine) as client:
            timer = Timer()
            fn(client)
            phases.append(
                {
                    "phase": name,
                    "seconds": timer.seconds,
                    "records": client.records,
                    "calls": client.stats.total,
                }
            )
    seconds = total.seconds
    with engine.connect() as conn:
        rows = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("products", "invoices")}
    records = sum(p["records"] for p in phases)
    return {
        "seconds": seconds,
        "records": records,
        "rows": rows,
        "phases": phases,
        "calls": api_calls(before, sandbox_totals(sandbox)),
        "records_per_second": records / seconds,
    }


def dlt_source(sandbox: SandboxProcess, token: str) -> Any:
    from dlt.sources.rest_api import rest_api_source

    resources = [
        {
            "name": name,
            "primary_key": id_field,
            "write_disposition": "merge",
            "endpoint": {
                "path": path,
                "data_selector": key,
                "params": {"organization_id": ORG_ID, "per_page": 200, **extra},
            },
        }
        for name, path, key, id_field, extra in ENDPOINTS
    ]
    return rest_api_source(
        {
            "client": {
                "base_url": sandbox.url + "/",
                "auth": {
                    "type": "api_key",
                    "name": "Authorization",
                    "location": "header",
                    "api_key": f"Zoho-oauthtoken {token}",
                },
                "paginator": {
                    "type": "page_number",
                    "base_page": 1,
                    "page_param": "page",
                    "total_path": None,
                    "has_more_path": "page_context.has_more_page",
                },
            },
            "resources": resources,
        }
    )


def sandbox_token(sandbox: SandboxProcess) -> str:
    params = {k: v for k, v in DEMO_CREDENTIALS.items() if k != "organization_id"}
    resp = httpx.post(
        f"{sandbox.url}/oauth/v2/token", params={**params, "grant_type": "refresh_token"}
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def with_password(url: str) -> str:
    """dlt insists on a password; the local server trusts loopback, so any will do."""
    parsed = make_url(url)
    return parsed.set(password=parsed.password or "bench").render_as_string(hide_password=False)


def run_dlt(sandbox: SandboxProcess, url: str) -> dict[str, Any]:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt

    before = sandbox_totals(sandbox)
    with tempfile.TemporaryDirectory(prefix="bench-dlt-") as workdir:
        pipeline = dlt.pipeline(
            pipeline_name="zoho_bench",
            pipelines_dir=workdir,
            dataset_name="zoho",
            destination=dlt.destinations.postgres(credentials=with_password(url)),
        )
        total = Timer()
        phases = []
        timer = Timer()
        pipeline.extract(dlt_source(sandbox, sandbox_token(sandbox)))
        phases.append({"phase": "extract (HTTP + JSON)", "seconds": timer.seconds})
        timer = Timer()
        pipeline.normalize()
        phases.append({"phase": "normalize", "seconds": timer.seconds})
        timer = Timer()
        pipeline.load()
        phases.append({"phase": "load (COPY + merge)", "seconds": timer.seconds})
        seconds = total.seconds
    engine = get_engine(url)
    with engine.connect() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'zoho' "
                    "AND table_name NOT LIKE '\\_dlt%'"
                )
            )
            .scalars()
            .all()
        )
        rows = {t: conn.scalar(text(f'SELECT count(*) FROM zoho."{t}"')) for t in sorted(tables)}
    records = sum(rows.get(name, 0) for name, *_ in ENDPOINTS)
    engine.dispose()
    return {
        "seconds": seconds,
        "records": records,
        "rows": rows,
        "phases": phases,
        "calls": api_calls(before, sandbox_totals(sandbox)),
        "records_per_second": records / seconds,
    }


def warm_up(sandbox: SandboxProcess) -> None:
    """First page of each listing, untimed: the sandbox sorts a listing on first use."""
    headers = {"Authorization": f"Zoho-oauthtoken {sandbox_token(sandbox)}"}
    for _name, path, _key, _id, extra in ENDPOINTS:
        params = {"organization_id": ORG_ID, "per_page": 200, **extra}
        httpx.get(f"{sandbox.url}/{path}", params=params, headers=headers, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="items and invoices each")
    args = parser.parse_args()
    setup_logging()
    title(
        f"1. Replication throughput: {args.size:,} items + {args.size:,} invoices, "
        "limits off, full list-level sync into PostgreSQL"
    )
    sandbox = SandboxProcess(
        items=args.size, invoices=args.size, no_limits=True, startup_timeout=600
    )
    with (
        sandbox,
        temp_database("repl_ours") as ours_url,
        temp_database("repl_dlt", migrated=False) as dlt_url,
    ):
        warm_up(sandbox)
        ours = run_ours(sandbox, ours_url)
        peer = run_dlt(sandbox, dlt_url)
    table(
        ["loader", "seconds", "records", "records/s", "Zoho calls"],
        [
            [
                "tsh_pipelines",
                ours["seconds"],
                ours["records"],
                ours["records_per_second"],
                ours["calls"],
            ],
            [
                "dlt rest_api (peer)",
                peer["seconds"],
                peer["records"],
                peer["records_per_second"],
                peer["calls"],
            ],
        ],
    )
    note(
        "phases, tsh_pipelines: "
        + "; ".join(
            f"{p['phase']} {p['seconds']:.1f} s, {p['records']:,} records, {p['calls']} calls"
            for p in ours["phases"]
        )
    )
    note("phases, dlt: " + "; ".join(f"{p['phase']} {p['seconds']:.1f} s" for p in peer["phases"]))
    note(f"rows stored, tsh_pipelines: {ours['rows']}")
    note(f"rows stored, dlt (tables it created, child tables included): {peer['rows']}")
    note(f"speed ratio tsh/dlt: {ours['records_per_second'] / peer['records_per_second']:.2f}x")
    save("replication", {"size": args.size, "ours": ours, "dlt": peer})


if __name__ == "__main__":
    main()
