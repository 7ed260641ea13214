"""Chaos, syncs of every kind and the webhook path together; then the replica equals Zoho.

Seeded: each seed is one reproducible storm of edits, deletes and creates between the pages
the syncs read, with webhooks repeated, reordered and (for one seed) carrying only the id.
After chaos stops and the documented cadence runs, nothing may be lost, resurrected, stale
or doubled: live ids, versions, key fields, line items, stock per warehouse, every price.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.convergence.compare import compare
from tests.convergence.harness import Churn, live_world, open_events, settle
from tsh_pipelines.sync import queue

# Each storm also runs on a Zoho clock off ours (ahead, then behind), with stock moved only by
# documents (sales and purchase documents, adjustments, transfers) that leave items'
# last_modified_time alone and send no item webhook, same-second edits and stock A -> B -> A
# (the churn's corner round), and month-limited full refreshes and backfills beside the
# incrementals.
SEEDS = [(11, "full", 90.0), (12, "id_only", -45.0)]


@pytest.mark.parametrize(("seed", "body", "skew"), SEEDS, ids=[f"seed{s}-{b}" for s, b, _ in SEEDS])
def test_replica_converges_to_the_sandbox_after_chaos(
    seed: int, body: str, skew: float, db_url: str, engine: Engine, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(queue, "RETRY_BASE_SECONDS", 0.5)  # retries within the test's time
    # stock moves through documents only, with no item webhook and no new item version
    with live_world(db_url, tmp_path, seed, webhook_body=body, webhook_repeat_rate=0.2,
                    webhook_reorder_ms=800, webhook_seed=seed, clock_skew=skew,
                    stock_moves_bump_modified=False,
                    stock_item_webhooks=False) as sandbox:  # fmt: skip
        churn = Churn(sandbox, engine, db_url, seed)
        churn.run(seconds=12, rate=0.25)
        stats, done = sandbox.stats(), churn.chaos_done()
        settle(sandbox, engine, db_url)
        divergence = compare(sandbox, engine)
    assert all(done.values()), f"chaos must edit, delete and create: {stats['chaos']['counts']}"
    assert stats["webhooks"]["repeated"] > 0
    assert churn.syncs >= 2 and churn.applies >= 1 and churn.corners >= 1
    assert churn.errors == []
    assert open_events(engine) == 0
    assert divergence.clean, (divergence.totals(), divergence.examples)
