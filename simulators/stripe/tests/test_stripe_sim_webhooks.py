"""Webhooks: Stripe-signed deliveries to a real loopback receiver, retries, duplicates, reordering, events API."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from stripe_sim.testing import Receiver, SimProcess, make_client

WHSEC = "whsec_settle_fixed_secret_for_tests"


def _pay(client, **extra):
    return client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
                                                    "confirm": True, **extra})


def test_signed_delivery_verifies_with_sdk(backend, receiver):
    secret, cleanup = backend.register_webhook(receiver.url)
    try:
        pi = _pay(backend.client)
        (hit,) = receiver.wait_for(Receiver.of_type("payment_intent.succeeded", pi.id))
        sig = hit.headers["stripe-signature"]
        assert sig.startswith("t=") and ",v1=" in sig
        event = stripe.Webhook.construct_event(hit.body.decode(), sig, secret)
        assert event.type == "payment_intent.succeeded"
        assert event.data.object.id == pi.id
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(hit.body.decode(), sig, "whsec_wrong")
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(hit.body.decode().replace("succeeded", "canceled"), sig, secret)
    finally:
        cleanup()


@pytest.mark.asyncio
async def test_async_client_events_delivered(sim_server, receiver):
    c = make_client(sim_server.url)
    ep = await c.v1.webhook_endpoints.create_async(params={"url": receiver.url, "enabled_events": ["payment_intent.succeeded",
                                                                                                   "charge.succeeded"]})
    try:
        pi = await c.v1.payment_intents.create_async(params={"amount": 1200, "currency": "usd",
                                                             "payment_method": "pm_card_visa", "confirm": True})
        receiver.wait_for(Receiver.of_type("charge.succeeded"))
        (hit,) = receiver.wait_for(Receiver.of_type("payment_intent.succeeded", pi.id))
        stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], ep.secret)
    finally:
        await c.v1.webhook_endpoints.delete_async(ep.id)


def test_event_for_every_state_change(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
    assert ep.secret.startswith("whsec_")
    assert "secret" not in client.v1.webhook_endpoints.retrieve(ep.id)
    try:
        ok = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
        ok = client.v1.payment_intents.confirm(ok.id, params={"payment_method": "pm_card_visa"})
        client.v1.refunds.create(params={"payment_intent": ok.id, "amount": 500})
        refund = client.v1.refunds.create(params={"payment_intent": ok.id, "amount": 500})
        client.v1.refunds.update(refund.id, params={"metadata": {"k": "v"}})
        with pytest.raises(stripe.CardError):
            _pay(client, payment_method="pm_card_chargeDeclined")
        auth = _pay(client, payment_method="pm_card_authenticationRequired")
        processing = _pay(client, payment_method="pm_card_sim_processing")
        canceled = client.v1.payment_intents.cancel(client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd"}).id)
        for type, obj_id in [
            ("payment_intent.created", ok.id), ("charge.succeeded", ok.latest_charge),
            ("payment_intent.succeeded", ok.id), ("charge.refunded", ok.latest_charge),
            ("refund.created", refund.id), ("refund.updated", refund.id),
            ("payment_intent.payment_failed", None), ("charge.failed", None),
            ("payment_intent.requires_action", auth.id), ("payment_intent.processing", processing.id),
            ("payment_intent.canceled", canceled.id),
        ]:
            (hit,) = receiver.wait_for(Receiver.of_type(type, obj_id))[:1]
            stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], ep.secret)
        refunded = receiver.wait_for(Receiver.of_type("charge.refunded", ok.latest_charge), count=2)
        assert refunded[-1].event["data"]["object"]["amount_refunded"] == 1000
        assert refunded[-1].event["data"]["previous_attributes"]["amount_refunded"] == 500
        updated = receiver.wait_for(Receiver.of_type("refund.updated", refund.id))[0].event
        assert updated["data"]["previous_attributes"] == {"metadata": {}}
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


def test_event_snapshot_is_frozen(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment_intent.created",
                                                                                            "payment_intent.succeeded"]})
    try:
        pi = _pay(client)
        created = receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id))[0].event
        succeeded = receiver.wait_for(Receiver.of_type("payment_intent.succeeded", pi.id))[0].event
        assert created["data"]["object"]["status"] == "requires_confirmation"
        assert succeeded["data"]["object"]["status"] == "succeeded"
        assert created["created"] <= succeeded["created"]
        assert not receiver.wait_for(lambda r: True, count=2)[2:]  # nothing beyond the two enabled types
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


def test_retries_with_backoff_then_success(start_sim, receiver):
    server = start_sim(retry_schedule=(0.2, 0.4, 0.8))
    c = make_client(server.url)
    receiver.statuses = [500, 503]
    ep = c.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment_intent.created"]})
    pi = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    hits = receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id), count=3)
    ids = {h.event["id"] for h in hits}
    assert len(ids) == 1
    gaps = [hits[1].at - hits[0].at, hits[2].at - hits[1].at]
    assert 0.15 <= gaps[0] < gaps[1], gaps
    # Each attempt is signed afresh and verifies.
    for h in hits:
        stripe.Webhook.construct_event(h.body, h.headers["stripe-signature"], ep.secret)
    event_id = hits[0].event["id"]
    deadline = time.time() + 5
    while True:
        ev = c.v1.events.retrieve(event_id)
        if ev.pending_webhooks == 0 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert ev.pending_webhooks == 0
    ok = c.v1.events.list(params={"delivery_success": True, "type": "payment_intent.created"})
    assert event_id in [e.id for e in ok.data]


def test_retries_give_up_and_events_filter(start_sim, receiver):
    server = start_sim(retry_schedule=(0.1, 0.1))
    c = make_client(server.url)
    receiver.statuses = [500] * 10
    c.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment_intent.created"]})
    pi = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id), count=3)
    time.sleep(0.4)
    assert len([r for r in receiver.received if r.event["data"]["object"]["id"] == pi.id]) == 3
    failed = c.v1.events.list(params={"delivery_success": False})
    assert [e.data.object.id for e in failed.data] == [pi.id]
    assert c.v1.events.list(params={"delivery_success": True}).data == []


def test_duplicate_switch(start_sim, receiver):
    server = start_sim(duplicates=1)
    c = make_client(server.url)
    c.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment_intent.created"]})
    pi = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    hits = receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id), count=2)
    assert hits[0].event["id"] == hits[1].event["id"]
    # Switched off again through the test helper.
    cfg = httpx.post(f"{server.url}/v1/test_helpers/webhooks/config", data={"duplicates": "0"},
                     auth=("sk_test_x", "")).json()
    assert cfg["duplicates"] == 0
    pi2 = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    receiver.wait_for(Receiver.of_type("payment_intent.created", pi2.id))
    time.sleep(0.3)
    assert len(receiver.wait_for(Receiver.of_type("payment_intent.created", pi2.id))) == 1


def test_reorder_switch(start_sim, receiver):
    server = start_sim()
    c = make_client(server.url)
    c.raw_request("post", "/v1/test_helpers/webhooks/config", reorder_window_ms=300)
    c.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment_intent.created",
                                                                                  "payment_intent.succeeded"]})
    pi = _pay(c)
    hits = receiver.wait_for(lambda r: r.event["data"]["object"]["id"] == pi.id, count=2)
    assert [h.event["type"] for h in hits] == ["payment_intent.succeeded", "payment_intent.created"]


def test_webhook_url_flag_uses_fixed_secret(receiver):
    proc = SimProcess("--webhook-url", receiver.url, "--webhook-secret", WHSEC)
    try:
        c = make_client(proc.url)
        pi = _pay(c)
        (hit,) = receiver.wait_for(Receiver.of_type("payment_intent.succeeded", pi.id))
        event = stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], WHSEC)
        assert event.data.object.id == pi.id
        # Every event type goes to the pre-registered endpoint.
        receiver.wait_for(Receiver.of_type("charge.succeeded"))
        receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id))
    finally:
        proc.stop()


def test_webhook_env_vars(receiver):
    proc = SimProcess(env={"STRIPE_SIM_WEBHOOK_URL": receiver.url, "STRIPE_SIM_WEBHOOK_SECRET": WHSEC})
    try:
        pi = make_client(proc.url).v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
        (hit,) = receiver.wait_for(Receiver.of_type("payment_intent.created", pi.id))
        stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], WHSEC)
    finally:
        proc.stop()


def test_events_api_filters(start_sim):
    server = start_sim()
    c = make_client(server.url)
    before = int(time.time())
    pi = _pay(c)
    events = c.v1.events.list(params={"type": "payment_intent.succeeded"})
    assert [e.data.object.id for e in events.data] == [pi.id]
    every = c.v1.events.list()
    assert [e.type for e in every.data] == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.created"]
    wild = c.v1.events.list(params={"type": "payment_intent.*"})
    assert [e.type for e in wild.data] == ["payment_intent.succeeded", "payment_intent.created"]
    assert len(c.v1.events.list(params={"created": {"gte": before}}).data) == 3
    assert c.v1.events.list(params={"created": {"gt": before + 100}}).data == []
    one = c.v1.events.retrieve(every.data[0].id)
    assert one.type == "payment_intent.succeeded" and one.data.object.status == "succeeded"
    page = c.v1.events.list(params={"limit": 1, "starting_after": every.data[0].id})
    assert page.data[0].id == every.data[1].id and page.has_more
    with pytest.raises(stripe.InvalidRequestError) as info:
        c.v1.events.retrieve("evt_missing")
    assert info.value.http_status == 404 and info.value.code == "resource_missing"


def test_endpoint_management(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["charge.succeeded"],
                                                    "description": "billing"})
    ep = client.v1.webhook_endpoints.update(ep.id, params={"enabled_events": ["refund.created"], "disabled": True})
    assert ep.status == "disabled" and list(ep.enabled_events) == ["refund.created"]
    assert ep.id in [e.id for e in client.v1.webhook_endpoints.list(params={"limit": 100}).data]
    deleted = client.v1.webhook_endpoints.delete(ep.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(ep.id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.webhook_endpoints.create(params={"url": receiver.url})
    assert info.value.code == "parameter_missing" and info.value.param == "enabled_events"
