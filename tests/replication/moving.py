"""A Zoho client that lets a test change the sandbox at chosen moments of a listing.

The hook runs with each page just after Zoho served it and before the sync writes it, which
is exactly where real Zoho moves under a long listing. Only the timing is the test's: the
records, their versions and every call are the sandbox's own, over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Engine

from tests.replication.helpers import ROOMY, log
from tests.zoho_client.conftest import settings_for
from tsh_pipelines.entities import BY_NAME
from tsh_pipelines.sync.replicate import INCREMENTAL, sync_entity
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import ZohoClient
from zoho_sandbox.process import SandboxProcess

Hook = Callable[[str, int, list[dict]], list[dict] | None]


class MovingZoho(ZohoClient):
    """`hook(endpoint, page_number, records)` may change Zoho, or replace the page."""

    def __init__(self, sandbox: SandboxProcess, engine: Engine, hook: Hook) -> None:
        super().__init__(settings_for(sandbox, **ROOMY), engine)
        self.hook = hook

    def pages(self, api: str, endpoint: str, *args: Any, **kwargs: Any) -> Iterator[list[dict]]:
        for number, records in enumerate(super().pages(api, endpoint, *args, **kwargs), 1):
            replaced = self.hook(endpoint, number, records)
            yield records if replaced is None else replaced


def sync(
    sandbox: SandboxProcess, engine: Engine, name: str, mode: str = INCREMENTAL,
    hook: Hook | None = None,
) -> SyncTotals:  # fmt: skip
    with MovingZoho(sandbox, engine, hook or (lambda *_: None)) as client:
        return sync_entity(client, engine, BY_NAME[name], mode=mode, log=log)
