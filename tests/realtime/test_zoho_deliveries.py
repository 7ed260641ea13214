"""Deliveries built as the facts file describes reach the replica: signed over the query
(`event=edited`, `route` and one more parameter) and the body, sent as JSON, as
`JSONString=` and as entity-parameter fields; the sandbox process → the receiver process →
the queue → the sensor → the apply run → the replica."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.realtime.test_realtime import queue_rows, run_sensor_once
from tests.replication.helpers import ROOMY, live_rows
from tests.webhooks.helpers import NEW_SECRET, receiver_env, receiver_process
from tests.webhooks.test_sandbox import _poll
from tsh_db.schema import tds_inbox_events
from zoho_sandbox.process import SandboxProcess

WORLD = {"items": 20, "customers": 4, "vendors": 2, "invoices": 6, "bills": 2,
         "creditnotes": 1, "salesorders": 1}  # fmt: skip
SHAPES = [  # (sandbox webhook policy, whether the stored record is the one sent)
    ({"body": "json"}, True),
    ({"body": "jsonstring"}, True),
    ({"body": "fields"}, False),  # a few fields are not the record: fetched by id
    ({"body": "fields", "id_only": True}, False),  # Zoho's entity parameters: just the id
    ({"body": "json", "method": "PUT", "event_in": "header"}, True),
]


def test_every_body_type_reaches_the_replica(db_url: str, engine: Engine, tmp_path: Path):
    with receiver_process(receiver_env(db_url), tmp_path / "receiver.log") as receiver:
        hooks = f"{receiver.base_url}/api/zoho/webhooks"
        with SandboxProcess(seed=5, **WORLD, **ROOMY, webhook_url=hooks,
                            webhook_secret=NEW_SECRET, webhook_backoff=0.1) as sandbox:  # fmt: skip
            expected: dict[str, str] = {}
            for n, (shape, _) in enumerate(SHAPES):
                sandbox.webhooks(**shape, params={"source": "zoho books"})
                name = f"Renamed by a {shape['body']} delivery {n}"
                changed = sandbox.mutate("items", "update", count=1, fields={"name": name})
                expected[str(changed["records"][0]["id"])] = name
                _poll(lambda n=n: len(queue_rows(engine)), lambda count, n=n: count > n)
            webhooks = sandbox.stats()["webhooks"]
            requests = run_sensor_once(sandbox, db_url)
    assert webhooks["failed"] == 0 and requests
    assert {r["status"] for r in queue_rows(engine)} == {"completed"}
    names = live_rows(engine, "products", "name")
    assert {zoho_id: names[zoho_id][0] for zoho_id in expected} == expected
    with engine.connect() as conn:
        payloads = conn.execute(
            select(tds_inbox_events.c.raw_payload).order_by(tds_inbox_events.c.id)
        ).scalars().all()  # fmt: skip
    for payload, (_, full) in zip(payloads, SHAPES, strict=True):
        assert ("name" in payload["item"]) is full  # otherwise the run fetched the record
