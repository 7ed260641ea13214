"""Chaos: Zoho moving under a listing. While on, every Zoho call the API answers is followed
by seeded random mutations, applied after the response is serialised, so a client paging a
list sees the world change between page N and page N+1.

Targets are picked to hurt: updates hit records already served since chaos started (the
client's copy goes stale); deletes hit records of the page just served, which sort before
the next offset, so every later record shifts up one place and an offset pager misses one;
creates add records (at the front of the default newest-first document listings, so a pager
sees one record twice).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .mutations import ACTIONS, MutationError
from .specs import INVENTORY_DOCS, SPECS
from .world import ENTITIES, World

CHAOS_ENTITIES = (*ENTITIES, "stock")
# by default the entities before issue 24 (its modules are named explicitly), so a seed
# replays as it did
DEFAULT_ENTITIES = ("items", "contacts", "invoices", "bills", "creditnotes", "salesorders",
                    "pricebooks", "inventoryadjustments", "transferorders", "stock")  # fmt: skip
DEFAULT_RATE = 0.3
Apply = Callable[[dict[str, Any]], dict[str, Any]]  # a /_sandbox/mutate body -> its result


class ChaosError(ValueError):
    pass


def _supported(entity: str, action: str) -> bool:
    return entity != "stock" or action == "update"


def _store_of(entity: str) -> str:
    return "items" if entity == "stock" else entity


class Chaos:
    def __init__(self) -> None:
        self.enabled = False
        self.seed, self.rate = 0, DEFAULT_RATE
        self.actions: tuple[str, ...] = ACTIONS
        self.entities: tuple[str, ...] = DEFAULT_ENTITIES
        self.rng = random.Random(0)
        # writes that save and then answer 500 (writes.py): the share, and a delay first
        self.ambiguous_rate, self.ambiguous_delay_ms, self.ambiguous = 0.0, 0.0, 0
        self.write_rng = random.Random(0)
        self._forget_served()
        # what chaos did since the last reset: kept across stop/start so a test can read it
        # after turning chaos off
        self.calls = 0
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.ids: dict[str, dict[str, list[str]]] = {
            a: defaultdict(list) for a in ("created", "updated", "deleted")
        }

    def _forget_served(self) -> None:
        # list for seeded sampling in a stable order, set for membership
        self.served: dict[str, list[str]] = defaultdict(list)
        self.served_set: dict[str, set[str]] = defaultdict(set)
        self.last_page: dict[str, list[str]] = {}
        self.retired_books: list[str] = []  # names of price books chaos deleted

    def configure(self, body: dict[str, Any]) -> None:
        """Each call replaces the previous setting; `{}` or `{"stop": true}` turns chaos off."""
        if not body or body.get("stop"):
            self.enabled, self.ambiguous_rate = False, 0.0
            return
        try:
            seed = int(body.get("seed", 0))
            rate = float(body.get("rate", DEFAULT_RATE))
            ambiguous = float(body.get("ambiguous_writes", 0))
            delay = float(body.get("ambiguous_delay_ms", 0))
        except (TypeError, ValueError) as exc:
            raise ChaosError("seed must be an integer, rate and ambiguous_* numbers") from exc
        if not 0 <= ambiguous <= 1 or not 0 <= delay <= 60_000:
            raise ChaosError("ambiguous_writes must be within 0..1, ambiguous_delay_ms 0..60000")
        actions, entities = body.get("actions") or ACTIONS, body.get("entities") or DEFAULT_ENTITIES
        if not isinstance(actions, list | tuple) or not isinstance(entities, list | tuple):
            raise ChaosError("actions and entities must be lists")
        if not math.isfinite(rate) or rate < 0:
            raise ChaosError("rate must be a non-negative number")
        if any(a not in ACTIONS for a in actions):
            raise ChaosError(f"actions must be among {', '.join(ACTIONS)}")
        if any(e not in CHAOS_ENTITIES for e in entities):
            raise ChaosError(f"entities must be among {', '.join(CHAOS_ENTITIES)}")
        if not any(_supported(e, a) for e in entities for a in actions):
            raise ChaosError("no entity supports any of the actions (stock only updates)")
        self.enabled, self.seed, self.rate = True, seed, rate
        self.actions, self.entities = tuple(dict.fromkeys(actions)), tuple(dict.fromkeys(entities))
        self.rng = random.Random(seed)
        self.ambiguous_rate, self.ambiguous_delay_ms = ambiguous, delay
        self.write_rng = random.Random(f"{seed}:writes")
        self._forget_served()

    async def ambiguous_write(self) -> bool:
        """Whether this saved write fails its answer (after the delay, if any)."""
        if not self.ambiguous_rate or self.write_rng.random() >= self.ambiguous_rate:
            return False
        self.ambiguous += 1
        if self.ambiguous_delay_ms:
            await asyncio.sleep(self.ambiguous_delay_ms / 1000)
        return True

    # -- per call -----------------------------------------------------------------------
    def after_call(
        self, world: World, apply: Apply, api: str, path: str, status: int, body: dict[str, Any]
    ) -> None:
        """Run once per Zoho call the API answered, after its response was built."""
        if not self.enabled:
            return
        self.calls += 1
        entity = _entity_of(api, path)
        if entity is not None and status == 200:
            self._remember(entity, path, body)
        n = int(self.rate)
        frac = self.rate - n
        if frac and self.rng.random() < frac:
            n += 1
        for _ in range(n):
            self._one(world, apply, entity)

    def _remember(self, entity: str, path: str, body: dict[str, Any]) -> None:
        spec = SPECS[entity]
        id_key = spec.id_field
        listed = body.get(spec.list_name)
        records = listed if isinstance(listed, list) else [body.get(spec.record_key)]
        ids = [str(r[id_key]) for r in records if isinstance(r, dict) and id_key in r]
        for rid in ids:
            if rid not in self.served_set[entity]:
                self.served_set[entity].add(rid)
                self.served[entity].append(rid)
        if isinstance(listed, list) and "/" not in path.strip("/"):
            self.last_page[entity] = ids  # a listing page, not itemdetails or a rate lookup

    def _one(self, world: World, apply: Apply, listed: str | None) -> None:
        entity = self._pick_entity(listed)
        action = self.rng.choice([a for a in self.actions if _supported(entity, a)])
        store = world.stores[_store_of(entity)]
        mutation: dict[str, Any] = {"entity": entity, "action": action}
        if action != "create":
            if len(store.rows) <= (1 if action == "delete" else 0):
                return  # never empty an entity: a listing of nothing tests nothing
            mutation["ids"] = [self._target(world, entity, action)]
        elif entity == "pricebooks":
            # bring back a book chaos deleted: same name, new id, like a user re-creating
            # `Consumer`; a sync keyed on the old id must notice
            live = {r.name for r in store.rows.values()}
            gone = [n for n in self.retired_books if n not in live]
            if gone:
                mutation["fields"] = {"name": gone[0]}
        if entity == "pricebooks" and action == "delete":
            name = store.rows[mutation["ids"][0]].name
            if name not in self.retired_books:
                self.retired_books.append(name)
        try:
            result = apply(mutation)
        except MutationError:
            return  # a target that vanished mid-call: Zoho simply did nothing this time
        self.counts[entity][action] += 1
        done = {"create": "created", "update": "updated", "delete": "deleted"}[action]
        for rec in result["records"]:
            self.ids[done][entity].append(str(rec["id"]))

    def _pick_entity(self, listed: str | None) -> str:
        usable = [e for e in self.entities if any(_supported(e, a) for a in self.actions)]
        related = [e for e in usable if listed is not None and _store_of(e) == listed]
        # half the time the entity being read is the one that moves: that is what hurts
        if related and self.rng.random() < 0.5:
            return self.rng.choice(related)
        return self.rng.choice(usable)

    def _target(self, world: World, entity: str, action: str) -> str:
        kind = _store_of(entity)
        store = world.stores[kind]
        if action == "delete":
            page = [rid for rid in self.last_page.get(kind, []) if store.get(rid) is not None]
            if page:
                return self.rng.choice(page)
        pool, seen = self.served[kind], self.served_set[kind]
        while pool:
            i = self.rng.randrange(len(pool))
            rid = pool[i]
            if store.get(rid) is not None:
                return rid
            pool[i] = pool[-1]  # swap-remove a deleted record: sampling stays O(1)
            pool.pop()
            seen.discard(rid)
        return self.rng.choice(list(store.rows))

    # -- reporting ----------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "seed": self.seed,
            "rate": self.rate,
            "actions": list(self.actions),
            "entities": list(self.entities),
            "ambiguous_writes": self.ambiguous_rate,
            "ambiguous_delay_ms": self.ambiguous_delay_ms,
        }

    def stats(self) -> dict[str, Any]:
        counts = {e: dict(by) for e, by in self.counts.items()}
        out = self.describe()
        out.update(
            {
                "calls": self.calls,
                "ambiguous_failed": self.ambiguous,
                "mutations": sum(sum(by.values()) for by in counts.values()),
                "counts": counts,
                **{done: dict(by) for done, by in self.ids.items()},
            }
        )
        return out


def _entity_of(api: str, path: str) -> str | None:
    """The entity a Zoho path reads, if any (`itemdetails` and rate lookups read items)."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "itemdetails" or (api == "inventory" and parts[0] == "items"):
        return "items"
    if api == "books" and parts[0] == "settings" and len(parts) > 1:
        return next((e for e in ENTITIES if SPECS[e].url == "/".join(parts[:2])), None)
    if api == "books" and parts[0] in ENTITIES and parts[0] not in INVENTORY_DOCS:
        return parts[0]
    if api == "inventory" and parts[0] in INVENTORY_DOCS:
        return parts[0]
    return None
