"""API keys, Stripe's error bodies, unknown parameters, Idempotency-Key replay."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
import stripe

from stripe_sim.forms import decode
from stripe_sim.testing import PUBLISHABLE_KEY, make_client


def test_keys(sim_server):
    with pytest.raises(stripe.AuthenticationError) as info:
        make_client(sim_server.url, "sk_live_123456789").v1.customers.list()
    assert info.value.http_status == 401
    with pytest.raises(stripe.AuthenticationError):
        make_client(sim_server.url, "rk_test_nope").v1.customers.list()
    resp = httpx.get(f"{sim_server.url}/v1/customers")
    assert resp.status_code == 401 and resp.json()["error"]["type"] == "invalid_request_error"
    basic = httpx.get(f"{sim_server.url}/v1/customers", auth=("sk_test_basic", ""))
    assert basic.status_code == 200
    with pytest.raises(stripe.AuthenticationError):
        make_client(sim_server.url, PUBLISHABLE_KEY).v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd"})


def test_publishable_key_confirms_with_client_secret(client, sim_server):
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    public = make_client(sim_server.url, PUBLISHABLE_KEY)
    with pytest.raises(stripe.InvalidRequestError) as info:
        public.v1.payment_intents.confirm(pi.id, params={"client_secret": pi.id + "_secret_wrong",
                                                         "payment_method": "pm_card_visa"})
    assert info.value.param == "client_secret"
    with pytest.raises(stripe.AuthenticationError):
        public.v1.refunds.create(params={"payment_intent": pi.id})
    confirmed = public.v1.payment_intents.confirm(
        pi.id, params={"client_secret": pi.client_secret,
                       "payment_method_data": {"type": "card", "card": {"number": "4242424242424242",
                                                                        "exp_month": 12, "exp_year": 2030,
                                                                        "cvc": "123"}}})
    assert confirmed.status == "succeeded"
    seen = public.v1.payment_intents.retrieve(pi.id, params={"client_secret": pi.client_secret})
    assert seen.status == "succeeded"


def test_error_shapes(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "colour": "red"})
    e = info.value
    assert e.http_status == 400 and e.code == "parameter_unknown" and e.param == "colour"
    assert e.json_body["error"]["message"] == "Received unknown parameter: colour"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd",
                                                 "automatic_payment_methods": {"enabled": True, "x": "1"}})
    assert info.value.param == "automatic_payment_methods[x]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": "ten", "currency": "usd"})
    assert info.value.code == "parameter_invalid_integer" and info.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"currency": "usd"})
    assert info.value.code == "parameter_missing" and info.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "zzz"})
    assert info.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    e = info.value
    assert e.http_status == 404 and e.code == "resource_missing" and e.param == "id"
    assert e.json_body["error"]["message"] == "No such payment_intent: 'pi_doesnotexist'"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": "cus_missing"})
    assert info.value.code == "resource_missing" and info.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.list(params={"limit": 1000})
    assert info.value.param == "limit"
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "confirm": True,
                                                 "payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    body = info.value.json_body["error"]
    assert body["type"] == "card_error" and body["decline_code"] == "insufficient_funds"
    assert body["code"] == "card_declined" and "message" in body
    resp = httpx.get(f"{client._requestor.base_addresses['api']}/v1/nothing_here", auth=("sk_test_x", ""))
    assert resp.status_code == 404 and "Unrecognized request URL" in resp.json()["error"]["message"]


def test_idempotency_replay_and_conflict(client, sim_server):
    key = str(uuid.uuid4())
    params = {"amount": 1000, "currency": "usd", "metadata": {"order": "1"}}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    assert first.id == again.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(client.v1.payment_intents.list(params={"limit": 100}).data) == len(
        {p.id for p in client.v1.payment_intents.list(params={"limit": 100}).data})
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.payment_intents.create(params={**params, "amount": 2000}, options={"idempotency_key": key})
    assert info.value.http_status == 400
    assert info.value.json_body["error"]["type"] == "idempotency_error"
    # A declined payment is replayed too: the same 402, not a second attempt.
    key2 = str(uuid.uuid4())
    declined = {"amount": 1000, "currency": "usd", "confirm": True, "payment_method": "pm_card_chargeDeclined"}
    with pytest.raises(stripe.CardError) as a:
        client.v1.payment_intents.create(params=declined, options={"idempotency_key": key2})
    with pytest.raises(stripe.CardError) as b:
        client.v1.payment_intents.create(params=declined, options={"idempotency_key": key2})
    assert a.value.json_body["error"]["payment_intent"]["id"] == b.value.json_body["error"]["payment_intent"]["id"]
    assert b.value.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.asyncio
async def test_idempotency_async_and_expiry(sim_server):
    c = make_client(sim_server.url)
    key = str(uuid.uuid4())
    a = await c.v1.customers.create_async(params={"email": "idem@example.com"}, options={"idempotency_key": key})
    b = await c.v1.customers.create_async(params={"email": "idem@example.com"}, options={"idempotency_key": key})
    assert a.id == b.id
    # Kept 24 hours: age the entry past that and the key is free again.
    cache = sim_server.sim.idempotency
    entry = cache.entries[("sk_test_settle_simulator", key)]
    entry.stored_at = time.time() - 24 * 3600 - 1
    cache.entries.move_to_end(("sk_test_settle_simulator", key), last=False)
    c2 = await c.v1.customers.create_async(params={"email": "other@example.com"}, options={"idempotency_key": key})
    assert c2.id != a.id and c2.email == "other@example.com"


def test_form_decoding():
    assert decode(b"a=1&metadata[k]=v&expand[]=x&expand[]=y") == {"a": "1", "metadata": {"k": "v"},
                                                                   "expand": ["x", "y"]}
    assert decode("line_items[0][price]=p1&line_items[0][quantity]=2&line_items[1][price]=p2") == {
        "line_items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}]}
    assert decode("metadata[0]=zero") == {"metadata": {"0": "zero"}}
    assert decode("a[b][c]=%20x+y&expand[0]=latest_charge") == {"a": {"b": {"c": " x y"}}, "expand": ["latest_charge"]}
    assert decode("") == {}


def test_customers(client):
    cus = client.v1.customers.create(params={"email": "jenny@example.com", "name": "Jenny Rosen",
                                              "metadata": {"user_id": "u1"}})
    assert cus.id.startswith("cus_") and cus.email == "jenny@example.com"
    cus = client.v1.customers.update(cus.id, params={"name": "Jenny R.", "metadata": {"plan": "pro"}})
    assert cus.name == "Jenny R." and cus.metadata.to_dict() == {"user_id": "u1", "plan": "pro"}
    assert client.v1.customers.retrieve(cus.id).name == "Jenny R."
    found = client.v1.customers.list(params={"email": "jenny@example.com", "limit": 100})
    assert cus.id in [c.id for c in found.data]
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    cus = client.v1.customers.update(cus.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    assert cus.invoice_settings.default_payment_method == pm.id
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": cus.id,
                                                  "payment_method": pm.id, "confirm": True, "off_session": True})
    assert pi.status == "succeeded"
    assert client.v1.customers.delete(cus.id).deleted is True
