"""The `replay_dead_letters` job puts dead letters back on the queue, and nothing else."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from tests.realtime.test_realtime import queue_rows
from tsh_db.schema import tds_inbox_events, tds_sync_queue
from tsh_db.types import utcnow
from tsh_pipelines.definitions import defs
from tsh_pipelines.realtime import replay_dead_letters_job
from tsh_pipelines.resources import DatabaseResource


def seed_dead_letters(engine: Engine) -> dict[str, int]:
    """Dead letters of products (2) and invoices (1), and a failed product row; name -> id."""
    now = utcnow()
    rows = [("p1", "products", "dead_letter"), ("p2", "products", "dead_letter"),
            ("i1", "invoices", "dead_letter"), ("f1", "products", "failed")]  # fmt: skip
    ids = {}
    with engine.begin() as conn:
        for name, entity, status in rows:
            inbox_id = conn.execute(
                insert(tds_inbox_events).values(
                    event_id=name, entity_type=entity, entity_id=name, event_type="edited",
                    raw_payload={}, received_at=now, status="failed", processed_at=now,
                ).returning(tds_inbox_events.c.id)
            ).scalar_one()  # fmt: skip
            ids[name] = conn.execute(
                insert(tds_sync_queue).values(
                    inbox_event_id=inbox_id, entity_type=entity, zoho_entity_id=name,
                    event_type="edited", status=status, retry_count=10, error_message="boom",
                    queued_at=now, next_attempt_at=now, processing_completed_at=now,
                ).returning(tds_sync_queue.c.id)
            ).scalar_one()  # fmt: skip
    return ids


def replay(db_url: str, **config: Any) -> dg.ExecuteInProcessResult:
    return replay_dead_letters_job.execute_in_process(
        run_config={"ops": {"replay_dead_letter_rows": {"config": config}}},
        resources={"database": DatabaseResource(url=db_url)},
        raise_on_error=False,
    )


def statuses(engine: Engine) -> dict[str, tuple[str, int]]:
    return {r["zoho_entity_id"]: (r["status"], r["retry_count"]) for r in queue_rows(engine)}


def test_the_job_replays_by_ids_entity_or_all(db_url: str, engine: Engine) -> None:
    ids = seed_dead_letters(engine)
    assert replay(db_url, ids=[ids["p1"], ids["f1"]]).success  # f1 is no dead letter
    assert statuses(engine) == {"p1": ("pending", 0), "p2": ("dead_letter", 10),
                                "i1": ("dead_letter", 10), "f1": ("failed", 10)}  # fmt: skip
    [p1] = [r for r in queue_rows(engine) if r["zoho_entity_id"] == "p1"]
    assert p1["next_attempt_at"] <= utcnow() and p1["error_message"] is None
    assert p1["claimed_by"] is None and p1["processing_completed_at"] is None
    with engine.connect() as conn:
        inbox = dict(
            conn.execute(select(tds_inbox_events.c.event_id, tds_inbox_events.c.status))
            .tuples()
            .all()
        )
    assert inbox == {"p1": "pending", "p2": "failed", "i1": "failed", "f1": "failed"}
    result = replay(db_url, entity="invoices")
    assert result.success and statuses(engine)["i1"] == ("pending", 0)
    assert replay(db_url, all=True).success
    assert statuses(engine) == {"p1": ("pending", 0), "p2": ("pending", 0),
                                "i1": ("pending", 0), "f1": ("failed", 10)}  # fmt: skip


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "exactly one of"),
        ({"ids": [1], "all": True}, "got ids and all"),
        ({"entity": "product"}, "Unknown entity 'product'"),
    ],
)
def test_the_job_refuses_an_unclear_selection(
    db_url: str, engine: Engine, config: dict, message: str
) -> None:
    seed_dead_letters(engine)
    result = replay(db_url, **config)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and message in failure.message
    assert statuses(engine)["p1"] == ("dead_letter", 10)


def test_the_job_is_registered() -> None:
    assert defs.get_job_def("replay_dead_letters") is not None
