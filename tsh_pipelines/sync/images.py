"""Product pictures from Zoho's item images, fetched only when an image changes.

An item's image identity is Zoho's `image_document_id`, else its `image_name` and
`image_type` (replicated on `products` by the products sync and webhooks). `product_images`
remembers the identity whose bytes are stored, so a run fetches exactly the items whose
identity differs from it: one call per new or changed image, none for an unchanged one, on
an incremental run and a full refresh alike. An item whose image Zoho removed loses its
picture (the catalogue shows null, never a broken link).

Images come after data: the step is downstream of `products` at a lower priority, and never
spends the last `ZOHO_IMAGE_BUDGET_FLOOR` share (default 25 %) of a day's sync budget, so a
large catalogue's first pictures never starve the data syncs (or the webhook reserve, which
the limiter keeps anyway); what is left waits for the next run. Bytes that are not a usable
PNG or JPEG are refused with an error naming the item, and the item keeps its previous
image; that identity is not fetched again until Zoho's changes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.engine import Connection, Engine

from tsh_db.dialect import upsert
from tsh_db.schema import consumer_catalog, product_images, products
from tsh_db.types import utcnow
from tsh_pipelines.images import BadImage, ImageStore, StoredImage
from tsh_pipelines.sync.catalog import refresh_catalog
from tsh_pipelines.sync.state import SyncTotals
from tsh_pipelines.zoho import BOOKS, INVENTORY, ZohoClient
from tsh_pipelines.zoho.errors import ZohoAPIError, ZohoBudgetExhausted

ENTITY = "product_images"
LOG_EVERY = 25  # a progress line every this many images
BUDGET_CHECK_EVERY = 20  # images between two reads of the day's remaining budget
ERRORS_SHOWN = 10
COUNTS = ("images_due", "images_fetched", "images_failed", "images_removed", "images_deferred",
          "original_bytes", "list_bytes", "detail_bytes")  # fmt: skip
STORED = ("path", "sha256", "width", "height", "original_bytes", "list_bytes", "detail_bytes")


def budget_floor(environ: dict[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    return min(1.0, max(0.0, float(env.get("ZOHO_IMAGE_BUDGET_FLOOR", "") or 0.25)))


def identity(document_id: str | None, name: str | None, kind: str | None) -> str | None:
    if document_id:
        return f"doc:{document_id}"
    if name:
        return f"name:{name}|{kind or ''}"
    return None


@dataclass(frozen=True)
class Due:
    product_id: str
    api: str
    label: str  # "4815… (TSH-00012, Ceiling fan)": how errors name the item
    identity: str
    has_image: bool  # a picture is stored now (kept when the new one is refused)


def due_images(conn: Connection) -> tuple[list[Due], list[str]]:
    """(images to fetch, products consumers can see first; products whose image is gone)."""
    p, pi, cc = products, product_images, consumer_catalog
    rows = conn.execute(
        select(
            p.c.zoho_id, p.c.source, p.c.sku, p.c.name, p.c.image_document_id, p.c.image_name,
            p.c.image_type, pi.c.identity, pi.c.failed_identity, pi.c.path,
            cc.c.product_zoho_id.is_not(None).label("visible"),
        )
        .select_from(
            p.outerjoin(pi, pi.c.product_zoho_id == p.c.zoho_id)
            .outerjoin(cc, cc.c.product_zoho_id == p.c.zoho_id)
        )
        .where(p.c.deleted_at.is_(None), p.c.is_active == true())
    ).all()  # fmt: skip
    fetch: list[tuple[bool, str, Due]] = []
    gone: list[str] = []
    for r in rows:
        now = identity(r.image_document_id, r.image_name, r.image_type)
        if now is None:
            if r.path is not None or r.identity is not None:
                gone.append(r.zoho_id)
        elif now not in (r.identity, r.failed_identity):
            api = INVENTORY if r.source == INVENTORY else BOOKS
            label = f"{r.zoho_id} ({r.sku or 'no SKU'}, {r.name})"
            fetch.append(
                (not r.visible, r.zoho_id, Due(r.zoho_id, api, label, now, r.path is not None))
            )
    fetch.sort(key=lambda t: (t[0], t[1]))
    return [d for _, _, d in fetch], sorted(gone)


def sync_images(
    client: ZohoClient,
    engine: Engine,
    store: ImageStore,
    *,
    mode: str,
    log: logging.Logger | logging.LoggerAdapter,
) -> SyncTotals:
    totals = SyncTotals(ENTITY, mode)
    counts = dict.fromkeys(COUNTS, 0)
    errors: list[str] = []
    with engine.connect() as conn:
        fetch, gone = due_images(conn)
    counts["images_due"] = len(fetch)
    if gone:
        with engine.begin() as conn:
            _write(conn, [{"product_zoho_id": i, "identity": None, **dict.fromkeys(STORED)}
                          for i in gone])  # fmt: skip
        counts["images_removed"] = len(gone)
        log.info("product_images: %d items no longer have an image in Zoho", len(gone))
    floor = budget_floor()
    for n, due in enumerate(fetch, 1):
        if n % BUDGET_CHECK_EVERY == 1 and _budget_low(client, due.api, floor):
            counts["images_deferred"] = len(fetch) - n + 1
            log.warning(
                "product_images: %d images left for the next run: Zoho %s's budget for today "
                "is down to its last %d %% (ZOHO_IMAGE_BUDGET_FLOOR), kept for data",
                counts["images_deferred"], due.api, round(floor * 100),
            )  # fmt: skip
            break
        try:
            outcome = _fetch_one(client, engine, store, due)
        except ZohoBudgetExhausted as exc:
            counts["images_deferred"] = len(fetch) - n + 1
            log.warning("product_images: %d images left for the next run: %s",
                        counts["images_deferred"], exc)  # fmt: skip
            break
        counts["images_fetched"] += 1
        if isinstance(outcome, str):
            counts["images_failed"] += 1
            errors.append(outcome)
            log.error(outcome)
        elif outcome is not None:
            totals.counts.updated += 1
            for key in ("original_bytes", "list_bytes", "detail_bytes"):
                counts[key] += getattr(outcome, key)
        if n % LOG_EVERY == 0 or n == len(fetch):
            log.info("product_images: %s of %s items", f"{n:,}", f"{len(fetch):,}")
    totals.records = counts["images_fetched"]
    totals.extra = counts
    totals.preview = [{"error": e} for e in errors[:ERRORS_SHOWN]]
    return totals


def _budget_low(client: ZohoClient, api: str, floor: float) -> bool:
    limiter = client.limiter
    return limiter.remaining_today(api) <= limiter.allowed_today(api) * floor


def _fetch_one(
    client: ZohoClient, engine: Engine, store: ImageStore, due: Due
) -> StoredImage | str | None:
    """The stored image; an error message (the item keeps its image); None: Zoho has none."""
    try:
        data, _kind = client.download(due.api, f"items/{due.product_id}/image")
    except ZohoAPIError as exc:
        if exc.status != 404:
            return _refused(engine, due, f"Zoho answered HTTP {exc.status}: {exc.message}")
        with engine.begin() as conn:  # listed with an image Zoho no longer has
            _write(conn, [{"product_zoho_id": due.product_id, "identity": due.identity,
                           **dict.fromkeys(STORED), **_no_failure()}])  # fmt: skip
        return None
    try:
        stored = store.put(data)
    except BadImage as exc:
        return _refused(engine, due, f"the bytes are {exc}")
    with engine.begin() as conn:
        _write(conn, [{"product_zoho_id": due.product_id, "identity": due.identity,
                       "fetched_at": utcnow(), **{k: getattr(stored, k) for k in STORED},
                       **_no_failure()}])  # fmt: skip
    return stored


def _refused(engine: Engine, due: Due, reason: str) -> str:
    kept = "keeps its previous image" if due.has_image else "stays without an image"
    message = (
        f"products {due.label}: Zoho's image {due.identity} was refused: {reason}. The item "
        f"{kept}; replace the image in Zoho (PNG or JPEG, at most 5 MB) and the next run "
        f"fetches it."
    )
    with engine.begin() as conn:
        _write(conn, [{"product_zoho_id": due.product_id, "failed_identity": due.identity,
                       "error": message, "failed_at": utcnow()}])  # fmt: skip
    return message


def _no_failure() -> dict[str, Any]:
    return {"failed_identity": None, "error": None, "failed_at": None}


def _write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """product_images rows, and the catalogue rows showing them, in one transaction."""
    upsert(conn, product_images, rows, ["product_zoho_id"], ignore_for_change=())
    refresh_catalog(conn, [r["product_zoho_id"] for r in rows])
