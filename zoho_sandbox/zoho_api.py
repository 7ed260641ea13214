"""Books and Inventory endpoints, once a call has passed auth, organisation and limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import images
from .errors import Answer, ParamError, bad_param, invalid_url, not_found
from .gen_items import warehouse_list
from .org import organization
from .query import page_context, paginate, parse_list
from .specs import INVENTORY_DOCS, SPECS
from .store import Row
from .world import ENTITIES, World
from .writes import narrow

BOOKS_LISTS = tuple(e for e in ENTITIES if e not in INVENTORY_DOCS)
BY_URL = {SPECS[e].url: e for e in BOOKS_LISTS}  # "settings/taxes" -> taxes
MAX_ITEM_IDS = 100
CONTACT_TYPES = ("customer", "vendor")


def endpoint_label(api: str, path: str) -> str:
    """Stats key: the collection for lists, `<collection>/{id}` for single records."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "unknown"
    if parts[0] == "settings" and len(parts) > 2:
        return f"settings/{parts[1]}/{{id}}"
    if len(parts) == 1 or parts[0] == "settings" or "/".join(parts) == "items/pricebookrate":
        return "/".join(parts)
    if len(parts) == 3 and parts[2] == "image":
        return f"{parts[0]}/{{id}}/image"
    return f"{parts[0]}/{{id}}"


def ok(body: dict[str, Any]) -> Answer:
    return 200, {"code": 0, "message": "success", **body}


def handle(world: World, api: str, path: str, params: Mapping[str, str], duplicate: bool) -> Answer:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["organizations"]:
        return _organizations(world, parts)
    try:
        if api == "books":
            return _books(world, parts, params, duplicate)
        return _inventory(world, parts, params, duplicate)
    except ParamError as exc:
        return bad_param(exc.param)


def _books(world: World, parts: list[str], params: Mapping[str, str], duplicate: bool) -> Answer:
    if parts == ["itemdetails"]:
        return _item_details(world, params)
    if parts == ["items", "pricebookrate"]:
        return _pricebook_rates(world, params)
    if len(parts) == 3 and parts[0] == "items" and parts[2] == "image":
        return _image(world, parts[1], books=True)
    at = 2 if parts[:1] == ["settings"] else 1  # settings/taxes[/{id}]
    entity = BY_URL.get("/".join(parts[:at]))
    if entity is None or len(parts) > at + 1:
        return invalid_url()
    if len(parts) == at:
        return _list(world, entity, params, duplicate, inventory=False)
    row = world.stores[entity].get(parts[at])
    if row is None or row.source != "books":
        return not_found(SPECS[entity].label)
    record = world.books_item(row) if entity == "items" else world.detail(entity, row)
    return ok({SPECS[entity].record_key: record})


def _inventory(
    world: World, parts: list[str], params: Mapping[str, str], duplicate: bool
) -> Answer:
    if parts == ["settings", "warehouses"]:
        return ok({"warehouses": warehouse_list(world.seed)})
    if parts == ["items"]:
        return _list(world, "items", params, duplicate, inventory=True)
    if len(parts) == 3 and parts[0] == "items" and parts[2] == "image":
        return _image(world, parts[1], books=False)
    if len(parts) == 2 and parts[0] == "items":
        row = world.stores["items"].get(parts[1])
        if row is None:
            return not_found("Item")
        return ok({"item": world.inventory(row, detail=True)})
    if parts and parts[0] in INVENTORY_DOCS and len(parts) <= 2:
        entity = parts[0]
        if len(parts) == 1:
            return _list(world, entity, params, duplicate, inventory=False)
        row = world.stores[entity].get(parts[1])
        if row is None:
            return not_found(SPECS[entity].label)
        return ok({SPECS[entity].record_key: world.published(entity, row)})
    return invalid_url()


def _image(world: World, item_id: str, books: bool) -> Answer:
    """`items/{id}/image`: the bytes (Inventory documents it; TSH downloads it from Books)."""
    row = world.stores["items"].get(item_id)
    if row is None or (books and row.source != "books"):
        return not_found("Item")
    return images.answer(world.detail("items", row))


def _organizations(world: World, parts: list[str]) -> Answer:
    record = organization(world.seed, world.time_zone)
    if len(parts) == 1:
        return ok({"organizations": [record]})
    if len(parts) == 2:
        if parts[1] != record["organization_id"]:
            return not_found("Organization")  # the sandbox's choice: Zoho's answer unknown
        return ok({"organization": record})
    return invalid_url()


def _list(
    world: World, entity: str, params: Mapping[str, str], duplicate: bool, inventory: bool
) -> Answer:
    spec = SPECS[entity]
    view = "all" if inventory or entity in INVENTORY_DOCS else "books"
    params, contact_type = _switched(world, entity, spec.lmt_filter, params)
    q = parse_list(spec, params, view, world.honour_offset)
    rows, lo, hi = narrow(world, entity, params, *world.stores[entity].select(q.selection))
    if contact_type:
        rows = [r for r in rows[lo:hi] if _contact_type(r) == contact_type]
        lo, hi = 0, len(rows)
    if q.count_only:
        # field name unconfirmed in Zoho's docs: the sandbox answers page_context.total
        ctx = page_context(spec, q, False)
        ctx["total"] = hi - lo
        ctx["total_pages"] = -(-(hi - lo) // q.per_page)
        return ok({"page_context": ctx})
    page, has_more = paginate(rows, lo, hi, q, duplicate)
    if inventory:
        records = [world.inventory(r, detail=False) for r in page]
    else:
        records = [world.published(entity, r, detail=False) for r in page]
    return ok({spec.list_name: records, "page_context": page_context(spec, q, has_more)})


def _switched(
    world: World, entity: str, lmt_filter: str, params: Mapping[str, str]
) -> tuple[Mapping[str, str], str]:
    """The parameters as the listing takes them, and the contact type to keep (if any):
    `last_modified_time` is dropped where the records carry none (as Zoho drops an unknown
    parameter) and, on payments and expenses, where `payments_modified_filter` ignores it."""
    mode = world.switches.payments_modified_filter if lmt_filter == "unconfirmed" else ""
    if "last_modified_time" in params and (not lmt_filter or mode == "ignored"):
        params = {k: v for k, v in params.items() if k != "last_modified_time"}
    if "last_modified_time" in params and mode == "refused":
        raise ParamError("last_modified_time")
    wanted = params.get("contact_type", "") if entity == "contacts" else ""
    if wanted and wanted not in CONTACT_TYPES:
        raise ParamError("contact_type")
    return params, wanted if world.switches.contact_type_filter == "honoured" else ""


def _contact_type(row: Row) -> str:
    return str(row.rec["contact_type"] if row.rec is not None else row.core[0])


def _id_list(params: Mapping[str, str], name: str) -> list[str]:
    raw = params.get(name, "")
    ids = [p.strip() for p in raw.split(",") if p.strip()]
    if not ids or len(ids) > MAX_ITEM_IDS or not all(i.isdigit() for i in ids):
        raise ParamError(name)
    return ids


def _item_details(world: World, params: Mapping[str, str]) -> Answer:
    # unknown, deleted and Inventory-only ids are skipped (Zoho's behaviour unconfirmed)
    store = world.stores["items"]
    out = []
    for rid in _id_list(params, "item_ids"):
        row = store.get(rid)
        if row is not None and row.source == "books":
            out.append(world.books_item(row))
    return ok({"items": out})


def _pricebook_rates(world: World, params: Mapping[str, str]) -> Answer:
    """`items/pricebookrate` (unconfirmed in Zoho's docs): an item's rate in one price book,
    falling back to the item's own rate when the book does not price it."""
    book = world.stores["pricebooks"].get(params.get("pricebook_id", ""))
    if book is None:
        if not params.get("pricebook_id", "").isdigit():
            raise ParamError("pricebook_id")
        return not_found("Price Book")
    rates = book.core["rates"]
    out = []
    for rid in _id_list(params, "item_ids"):
        row = world.stores["items"].get(rid)
        if row is None or row.source != "books":
            continue
        item = world.detail("items", row)
        rate = rates[rid][1] if rid in rates else item["rate"]
        out.append(
            {"item_id": rid, "name": item["name"], "rate": item["rate"], "pricebook_rate": rate}
        )
    return ok({"items": out})
