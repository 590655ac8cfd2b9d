"""Helpers shared by resource modules: lists, lookups, bookkeeping."""

from __future__ import annotations

from .. import errors
from ..params import LIST_SCHEMA, check_unknown, list_args


def list_page(ctx, params: dict, url: str, key: tuple, schema: dict | None = None, predicate=None) -> dict:
    allowed = dict(LIST_SCHEMA)
    if schema:
        allowed.update(schema)
    check_unknown(params, allowed)
    args = list_args(params)
    for cursor in ("starting_after", "ending_before"):
        if args[cursor] is not None and args[cursor] not in ctx.store.objects and args[cursor] not in ctx.store.events:
            raise errors.not_found("object", args[cursor], cursor)
    items, has_more = ctx.store.page(key, predicate=predicate, **args)
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def fetch(ctx, id: str, object_type: str, label: str, param: str = "id") -> dict:
    obj = ctx.store.objects.get(id) if isinstance(id, str) else None
    if obj is None or obj.get("object") != object_type or obj.get("deleted"):
        raise errors.not_found(label, id, param)
    return obj


def keep_previous(obj: dict, fields) -> dict:
    """Snapshot of fields before an update, for an event's data.previous_attributes."""
    return {f: obj.get(f) for f in fields}
