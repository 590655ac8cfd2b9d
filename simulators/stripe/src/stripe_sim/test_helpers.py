"""Simulator-only endpoints under /v1/test_helpers: drive what a person or Stripe would do."""

from __future__ import annotations

from . import errors
from .params import ANY, check_unknown, get_int, get_list, get_str
from .resources.common import fetch
from .webhooks import Delivery


def pi_authenticate(ctx, params, id):
    from .resources import payment_intents

    check_unknown(params, {"outcome": None})
    pi = fetch(ctx, id, "payment_intent", "payment_intent")
    outcome = get_str(params, "outcome", choices=("succeed", "fail")) or "succeed"
    payment_intents.complete_authentication(ctx, pi, outcome == "succeed")
    return pi


def pi_finish_processing(ctx, params, id):
    from .resources import payment_intents

    check_unknown(params, {"outcome": None})
    pi = fetch(ctx, id, "payment_intent", "payment_intent")
    outcome = get_str(params, "outcome", choices=("succeeded", "failed")) or "succeeded"
    payment_intents.finish_processing(ctx, pi, outcome == "succeeded")
    return pi


def account_complete_onboarding(ctx, params, id):
    from .resources import connect

    check_unknown(params, {})
    acct = fetch(ctx, id, "account", "account")
    if not acct["details_submitted"]:
        connect.complete_onboarding(ctx, acct)
    return acct


def webhook_config(ctx, params):
    check_unknown(params, {"duplicates": None, "reorder_window_ms": None, "retry_schedule": ANY})
    cfg = ctx.sim.config
    if "duplicates" in params:
        cfg.duplicates = get_int(params, "duplicates", minimum=0)
    if "reorder_window_ms" in params:
        cfg.reorder_window = get_int(params, "reorder_window_ms", minimum=0) / 1000
    if "retry_schedule" in params:
        try:
            cfg.retry_schedule = tuple(float(x) for x in get_list(params, "retry_schedule") or [])
        except ValueError:
            raise errors.invalid("retry_schedule", "Invalid number in retry_schedule")
    return _config(ctx)


def _config(ctx):
    cfg = ctx.sim.config
    return {"object": "test_helpers.webhook_config", "duplicates": cfg.duplicates,
            "reorder_window_ms": int(cfg.reorder_window * 1000), "retry_schedule": list(cfg.retry_schedule)}


def webhook_config_get(ctx, params):
    return _config(ctx)


def deliveries(ctx, params):
    event = get_str(params, "event")
    rows = [
        {"at": at, "webhook_endpoint": ep, "event": ev, "attempt": attempt, "status": status}
        for at, ep, ev, attempt, status in ctx.sim.webhooks.attempts_log
        if event is None or ev == event
    ]
    return {"object": "list", "data": rows, "has_more": False, "url": "/v1/test_helpers/webhooks/deliveries",
            "idle": ctx.sim.webhooks.idle()}


def resend_event(ctx, params, id):
    check_unknown(params, {"webhook_endpoint": None})
    rec = ctx.store.events.get(id)
    if rec is None:
        raise errors.not_found("event", id)
    ep = get_str(params, "webhook_endpoint")
    targets = [ep] if ep else [e for e in ctx.store.index(("webhook_endpoint",)).ids if e in ctx.store.objects]
    for ep_id in targets:
        fetch(ctx, ep_id, "webhook_endpoint", "webhook endpoint", "webhook_endpoint")
        rec.pending.add(ep_id)
        ctx.sim.webhooks.enqueue(Delivery(ep_id, id))
    return {"id": id, "object": "event", "resent_to": targets}


def routes(r):
    r.add("POST", "/v1/test_helpers/payment_intents/{id}/authenticate", pi_authenticate)
    r.add("POST", "/v1/test_helpers/payment_intents/{id}/finish_processing", pi_finish_processing)
    r.add("POST", "/v1/test_helpers/accounts/{id}/complete_onboarding", account_complete_onboarding)
    r.add("POST", "/v1/test_helpers/webhooks/config", webhook_config)
    r.add("GET", "/v1/test_helpers/webhooks/config", webhook_config_get)
    r.add("GET", "/v1/test_helpers/webhooks/deliveries", deliveries)
    r.add("POST", "/v1/test_helpers/events/{id}/resend", resend_event)
