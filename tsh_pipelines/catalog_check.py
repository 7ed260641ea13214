"""The investigation's check of the consumer catalogue: the stored rows against what the rules
give from the replica now. A difference (a write path that missed its refresh, a hand edit,
a restored backup) is repaired at once by a rebuild, and the finding says what it found.

The comparison runs holding the catalogue's state lock, which every refresh takes before it
commits, so no refresh lands between reading the replica and reading the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from tsh_pipelines.investigation import ERROR, OK, WARN, Finding
from tsh_pipelines.sync.catalog import (
    Rules,
    consumer_list,
    lock_state,
    outdated,
    rebuild_catalog,
)
from tsh_pipelines.sync.catalog_rows import derive, differences, stored_rows

CHECK = "consumer_catalog_matches_rules"
SHOWN = 20


@dataclass
class CatalogDrift:
    missing: list[str] = field(default_factory=list)  # visible by the rules, not served
    extra: list[str] = field(default_factory=list)  # served, not visible by the rules
    different: list[str] = field(default_factory=list)  # served with another value
    total: int = 0  # what consumer_catalog_state says
    rows: int = 0  # rows in consumer_catalog
    outdated: bool = False  # built with other rules or another consumer price list

    @property
    def drifted(self) -> bool:
        lists = (self.missing, self.extra, self.different)
        return any(lists) or self.outdated or self.total != self.rows

    def as_metadata(self) -> dict[str, object]:
        return {
            "missing": len(self.missing), "extra": len(self.extra),
            "different": len(self.different), "state_total": self.total, "rows": self.rows,
            "outdated_rules": self.outdated,
            "sample": sorted(self.missing + self.extra + self.different)[:SHOWN],
        }  # fmt: skip


def compare_catalog(conn: Connection, rules: Rules) -> CatalogDrift:
    """Takes the state lock (held until the caller's transaction ends)."""
    state = lock_state(conn)
    consumer = consumer_list(conn, rules.pricelist_code)
    stored = stored_rows(conn, None)
    changed, extra = differences(derive(conn, consumer, rules.min_stock, None), stored)
    ids = sorted(r["product_zoho_id"] for r in changed)
    return CatalogDrift(
        missing=[i for i in ids if i not in stored],
        extra=extra,
        different=[i for i in ids if i in stored],
        total=state.total,
        rows=len(stored),
        outdated=outdated(state, rules, consumer),
    )


def consumer_catalog_finding(engine: Engine, rules: Rules | None = None) -> Finding:
    rules = rules or Rules.from_env()
    with engine.begin() as conn:
        found = compare_catalog(conn, rules)
        if not found.drifted:
            return Finding(CHECK, "consumer_catalog", OK,
                           f"the consumer catalogue matches the rules ({found.rows:,} products)",
                           found.as_metadata())  # fmt: skip
        rebuilt = rebuild_catalog(conn, rules)
        left = compare_catalog(conn, rules)
    meta = {**found.as_metadata(), "rebuilt_version": rebuilt.version, "left_after": left.drifted}
    summary = (
        f"the consumer catalogue differed from the rules: {len(found.missing)} missing, "
        f"{len(found.extra)} extra, {len(found.different)} with other values, total "
        f"{found.total:,} for {found.rows:,} rows; rebuilt"
    )
    if left.drifted:
        return Finding(CHECK, "consumer_catalog", ERROR, summary + ", and it still differs", meta)
    return Finding(CHECK, "consumer_catalog", WARN, summary + " (repaired)", meta)
