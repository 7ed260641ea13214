"""Jobs: the incremental sync, the full sync with delete detection, and how their steps run.

Both run with no partition to pick (every month in scope) and also take a partition or a
range, as the launchpad, a backfill or `dagster job execute --tags` gives them.
"""

from __future__ import annotations

import dagster as dg

from tsh_pipelines.assets.common import MODE_TAG
from tsh_pipelines.entities import ENTITIES
from tsh_pipelines.sync.replicate import FULL_REFRESH, INCREMENTAL

# Checks run in the daily investigation, not on every sync (each costs a Zoho call).
# Every registry group: a new entity's group joins the sync jobs with its row.
REPLICATION = dg.AssetSelection.groups(*dict.fromkeys(e.group for e in ENTITIES)).without_checks()

# Steps wait on Zoho, not on the CPU: as many at once as the Zoho pools allow (dagster.yaml),
# not one per core. The forkserver starts each step from a process that has already imported
# the code location, which saves seconds of imports per step.
STEP_EXECUTOR = dg.multiprocess_executor.configured(
    {
        "max_concurrent": 10,
        "start_method": {"forkserver": {"preload_modules": ["tsh_pipelines.definitions"]}},
    }
)

incremental_sync = dg.define_asset_job(
    "incremental_sync",
    selection=REPLICATION,
    tags={MODE_TAG: INCREMENTAL},
    description="Everything that changed in Zoho since each entity's watermark, documents of "
    "every month (a partition, if given, only decides where the run's own materialization "
    "goes). The first run of each entity lists it whole.",
)

full_sync = dg.define_asset_job(
    "full_sync",
    selection=REPLICATION,
    tags={MODE_TAG: FULL_REFRESH},
    description="Re-lists every entity and soft-deletes what Zoho confirms gone (the deletes "
    "that listing-only connectors miss): documents from ZOHO_HISTORY_START, or only the "
    "months of the partition range given.",
)
