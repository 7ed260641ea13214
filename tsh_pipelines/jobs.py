"""Jobs: the incremental sync every few minutes, the full sync with delete detection."""

from __future__ import annotations

import dagster as dg

from tsh_pipelines.assets.common import MODE_TAG
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL

# Checks run in the daily investigation, not on every sync (each costs a Zoho call).
REPLICATION = dg.AssetSelection.groups("catalog", "sales", "purchases").without_checks()

incremental_sync = dg.define_asset_job(
    "incremental_sync",
    selection=REPLICATION,
    tags={MODE_TAG: INCREMENTAL},
    description="Everything that changed in Zoho since each entity's watermark (documents of "
    "every month, not only the run's partition).",
)

full_sync = dg.define_asset_job(
    "full_sync",
    selection=REPLICATION,
    tags={MODE_TAG: FULL_REFRESH},
    description="Re-lists every entity for the chosen months and soft-deletes what Zoho no "
    "longer returns (the deletes that listing-only connectors miss).",
)
