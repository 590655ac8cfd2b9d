"""Webhook endpoints (secret shown once, at creation) and the events API."""

from __future__ import annotations

import json

from .. import errors
from ..params import ANY, LIST_SCHEMA, check_unknown, get_bool, get_list, get_str, list_args, metadata
from ..webhooks import render_event
from .common import fetch, list_page

SCHEMA = {"url": None, "enabled_events": ANY, "description": None, "metadata": ANY, "api_version": None,
          "connect": None, "disabled": None}


def _events(params: dict) -> list:
    events = get_list(params, "enabled_events")
    if not events:
        raise errors.missing("enabled_events")
    return [str(e) for e in events]


def _url(params: dict) -> str:
    url = get_str(params, "url", required=True)
    if not url.startswith(("http://", "https://")):
        raise errors.invalid("url", "Invalid URL: URL must be publicly accessible and use http(s).", code="url_invalid")
    return url


def create(ctx, params):
    check_unknown(params, SCHEMA)
    ep = ctx.sim.register_endpoint(_url(params), _events(params), None, get_str(params, "description"),
                                   metadata(params), get_str(params, "api_version"))
    return {**ep, "secret": ctx.store.endpoint_secrets[ep["id"]]}


def retrieve(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "webhook_endpoint", "webhook endpoint")


def update(ctx, params, id):
    check_unknown(params, SCHEMA)
    ep = fetch(ctx, id, "webhook_endpoint", "webhook endpoint")
    if "url" in params:
        ep["url"] = _url(params)
    if "enabled_events" in params:
        ep["enabled_events"] = _events(params)
    if "description" in params:
        ep["description"] = get_str(params, "description") or None
    if "metadata" in params:
        ep["metadata"] = metadata(params, ep["metadata"])
    if "disabled" in params:
        ep["status"] = "disabled" if get_bool(params, "disabled") else "enabled"
    ctx.store.dirty = True
    return ep


def delete(ctx, params, id):
    fetch(ctx, id, "webhook_endpoint", "webhook endpoint")
    ctx.store.delete(id)
    ctx.store.endpoint_secrets.pop(id, None)
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


def list_(ctx, params):
    return list_page(ctx, params, "/v1/webhook_endpoints", ("webhook_endpoint",))


def retrieve_event(ctx, params, id):
    from ..app import Raw

    check_unknown(params, {})
    rec = ctx.store.events.get(id)
    if rec is None:
        raise errors.not_found("event", id)
    return Raw(render_event(rec))


def list_events(ctx, params):
    from ..app import Raw

    check_unknown(params, {**LIST_SCHEMA, "type": None, "types": ANY, "delivery_success": None})
    args = list_args(params)
    type = get_str(params, "type")
    types = get_list(params, "types")
    success = get_bool(params, "delivery_success")
    store = ctx.store
    if type and "*" not in type:
        key = ("event", "type", type)
        pred_type = None
    else:
        key = ("event",)
        if type:
            prefix = type.split("*")[0]
            pred_type = lambda r: r.head["type"].startswith(prefix)  # noqa: E731
        elif types:
            wanted = set(types)
            pred_type = lambda r: r.head["type"] in wanted  # noqa: E731
        else:
            pred_type = None

    def pred(rec):
        if pred_type is not None and not pred_type(rec):
            return False
        if success is True:
            return not rec.pending and not rec.failed
        if success is False:
            return bool(rec.pending or rec.failed)
        return True

    use_pred = pred if (pred_type is not None or success is not None) else None
    for cursor in ("starting_after", "ending_before"):
        if args[cursor] is not None and args[cursor] not in store.events:
            raise errors.not_found("event", args[cursor], cursor)
    items, has_more = store.page(key, predicate=use_pred, lookup=store.events.get, **args)
    data = ",".join(render_event(r) for r in items)
    return Raw('{"object":"list","data":[' + data + '],"has_more":' + json.dumps(has_more)
               + ',"url":"/v1/events"}')


def routes(r):
    r.add("POST", "/v1/webhook_endpoints", create)
    r.add("GET", "/v1/webhook_endpoints", list_)
    r.add("GET", "/v1/webhook_endpoints/{id}", retrieve)
    r.add("POST", "/v1/webhook_endpoints/{id}", update)
    r.add("DELETE", "/v1/webhook_endpoints/{id}", delete)
    r.add("GET", "/v1/events", list_events)
    r.add("GET", "/v1/events/{id}", retrieve_event)
