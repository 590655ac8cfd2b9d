"""PaymentIntents, charges and refunds through the official SDK, sync and async.

The create/confirm/refund paths run against both our simulator and localstripe.
"""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_sim.testing import make_client


def _create_confirmed(client, **extra):
    params = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
              "payment_method_types": ["card"], **extra}
    return client.v1.payment_intents.create(params=params)


# --- parity: simulator and localstripe ----------------------------------------------------------

def test_create_then_confirm(backend):
    c = backend.client
    pi = c.v1.payment_intents.create(params={"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa",
                                             "metadata": {"order_id": "o-1"}})
    assert pi.status == "requires_confirmation"
    assert pi.amount == 1500 and pi.currency == "usd"
    assert pi.metadata["order_id"] == "o-1"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    pi = c.v1.payment_intents.confirm(pi.id)
    assert pi.status == "succeeded"
    again = c.v1.payment_intents.retrieve(pi.id)
    assert again.status == "succeeded"
    assert again.latest_charge


def test_confirm_with_payment_method_param(backend):
    if backend.name == "localstripe":
        pytest.skip("localstripe answers 500 'Not implemented' to confirm with a payment_method parameter")
    c = backend.client
    pi = c.v1.payment_intents.create(params={"amount": 1500, "currency": "usd", "payment_method_types": ["card"]})
    assert pi.status == "requires_payment_method"
    pi = c.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded" and pi.amount_received == 1500


def test_create_with_confirm_true(backend):
    pi = _create_confirmed(backend.client)
    assert pi.status == "succeeded"
    assert pi.latest_charge


def test_declined_card(backend):
    c = backend.client
    # The one Stripe test token both know that declines when charged (localstripe lacks pm_card_chargeDeclined).
    pi = c.v1.payment_intents.create(params={"amount": 1500, "currency": "usd",
                                             "payment_method": "pm_card_chargeCustomerFail"})
    with pytest.raises(stripe.CardError) as info:
        c.v1.payment_intents.confirm(pi.id)
    assert info.value.http_status == 402
    assert info.value.code == "card_declined"
    after = c.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"


def test_full_refund(backend):
    c = backend.client
    pi = _create_confirmed(c)
    refund = c.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.amount == 2000
    assert refund.status == "succeeded"
    if backend.name == "simulator":
        charge = c.v1.charges.retrieve(pi.latest_charge)
        assert charge.refunded is True and charge.amount_refunded == 2000


def test_partial_refunds(backend):
    c = backend.client
    pi = _create_confirmed(c)
    r1 = c.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500, "metadata": {"why": "late"}})
    assert r1.amount == 500 and r1.metadata["why"] == "late"
    r2 = c.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000})
    assert r2.amount == 1000


def test_refund_more_than_left(backend):
    if backend.name == "localstripe":
        pytest.skip("localstripe does not check a refund against the unrefunded amount and has no `reason`")
    c = backend.client
    pi = _create_confirmed(c)
    r1 = c.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1500, "reason": "requested_by_customer"})
    assert r1.reason == "requested_by_customer"
    with pytest.raises(stripe.InvalidRequestError) as info:
        c.v1.refunds.create(params={"payment_intent": pi.id, "amount": 600})
    assert info.value.http_status == 400
    assert info.value.code == "amount_too_large"
    assert info.value.param == "amount"
    charge = c.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 1500 and charge.refunded is False
    last = c.v1.refunds.create(params={"payment_intent": pi.id})
    assert last.amount == 500
    assert c.v1.charges.retrieve(pi.latest_charge).refunded is True


@pytest.mark.asyncio
async def test_async_create_confirm_refund(backend):
    c = make_client(backend.url)
    pi = await c.v1.payment_intents.create_async(
        params={"amount": 3000, "currency": "eur", "payment_method": "pm_card_visa"})
    pi = await c.v1.payment_intents.confirm_async(pi.id)
    assert pi.status == "succeeded"
    refund = await c.v1.refunds.create_async(params={"payment_intent": pi.id, "amount": 1000})
    assert refund.amount == 1000
    fetched = await c.v1.payment_intents.retrieve_async(pi.id)
    assert fetched.status == "succeeded"


# --- simulator only -------------------------------------------------------------------------------

def test_statuses_with_payment_method_then_confirm(client):
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_mastercard"})
    assert pi.status == "requires_confirmation"
    assert pi.automatic_payment_methods.enabled is True
    pi = client.v1.payment_intents.confirm(pi.id)
    assert pi.status == "succeeded"
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.brand == "mastercard"
    assert charge.amount_captured == 1000 and charge.paid and charge.captured
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert txn.amount == 1000 and txn.fee == 59 and txn.net == 941  # 2.9 % + 30, integers


def test_expand_latest_charge(client):
    pi = _create_confirmed(client)
    expanded = client.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge.balance_transaction"]})
    assert expanded.latest_charge.id == pi.latest_charge
    assert expanded.latest_charge.object == "charge"
    assert expanded.latest_charge.balance_transaction.object == "balance_transaction"
    assert isinstance(pi.latest_charge, str)


def test_all_fields_on_create(client):
    cus = client.v1.customers.create(params={"email": "a@example.com"})
    pi = client.v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "customer": cus.id, "description": "Order 7",
        "metadata": {"a": "1", "b": "2"}, "automatic_payment_methods": {"enabled": True},
        "capture_method": "manual", "transfer_group": "order_7", "receipt_email": "r@example.com",
    })
    assert pi.customer == cus.id and pi.description == "Order 7"
    assert pi.capture_method == "manual" and pi.transfer_group == "order_7"
    updated = client.v1.payment_intents.update(pi.id, params={"metadata": {"a": "", "c": "3"}, "amount": 6000})
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    assert updated.amount == 6000


def test_manual_capture_full_and_partial(client):
    pi = _create_confirmed(client, capture_method="manual")
    assert pi.status == "requires_capture" and pi.amount_capturable == 2000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is False and charge.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 2500})
    assert info.value.code == "amount_too_large" and info.value.param == "amount_to_capture"
    pi = client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 1200})
    assert pi.status == "succeeded" and pi.amount_received == 1200 and pi.amount_capturable == 0
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured and charge.amount_captured == 1200
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1300})
    assert info.value.code == "amount_too_large"
    full = _create_confirmed(client, capture_method="manual")
    full = client.v1.payment_intents.capture(full.id)
    assert full.amount_received == 2000


def test_cancel(client):
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    pi = client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "requested_by_customer"})
    assert pi.status == "canceled" and pi.cancellation_reason == "requested_by_customer" and pi.canceled_at
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.cancel(pi.id)
    assert info.value.code == "payment_intent_unexpected_state"
    held = _create_confirmed(client, capture_method="manual")
    held = client.v1.payment_intents.cancel(held.id)
    assert held.status == "canceled"
    assert client.v1.charges.retrieve(held.latest_charge).refunded is True
    done = _create_confirmed(client)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(done.id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.confirm(done.id, params={"payment_method": "pm_card_visa"})
    assert info.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize(
    "token,code,decline_code",
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
    ],
)
def test_decline_tokens(client, token, code, decline_code):
    with pytest.raises(stripe.CardError) as info:
        _create_confirmed(client, payment_method=token)
    err = info.value
    assert err.http_status == 402 and err.code == code
    body = err.json_body["error"]
    assert body["decline_code"] == decline_code and body["type"] == "card_error"
    pi = client.v1.payment_intents.retrieve(body["payment_intent"]["id"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == decline_code
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "failed" and charge.failure_code == code
    # A new card after a decline succeeds on the same PaymentIntent.
    pi = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"


@pytest.mark.parametrize("number,decline_code", [("4000000000000002", "generic_decline"),
                                                 ("4000000000009995", "insufficient_funds")])
def test_declined_card_numbers(client, number, decline_code):
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"number": number, "exp_month": 12,
                                                                           "exp_year": 2031, "cvc": "123"}})
    with pytest.raises(stripe.CardError) as info:
        _create_confirmed(client, payment_method=pm.id)
    assert info.value.json_body["error"]["decline_code"] == decline_code


def test_card_numbers_ok_and_attach_then_fail(client):
    cus = client.v1.customers.create(params={"name": "Jenny"})
    ok = client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4242424242424242",
                                                                           "exp_month": 1, "exp_year": 2032}})
    assert ok.card.last4 == "4242" and ok.card.brand == "visa"
    pi = _create_confirmed(client, payment_method=ok.id)
    assert pi.status == "succeeded"
    bad = client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4000000000000341",
                                                                            "exp_month": 1, "exp_year": 2032}})
    attached = client.v1.payment_methods.attach(bad.id, params={"customer": cus.id})
    assert attached.customer == cus.id
    with pytest.raises(stripe.CardError):
        _create_confirmed(client, payment_method=bad.id, customer=cus.id)
    declined = client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4000000000000002",
                                                                                 "exp_month": 1, "exp_year": 2032}})
    with pytest.raises(stripe.CardError):
        client.v1.payment_methods.attach(declined.id, params={"customer": cus.id})
    listed = client.v1.payment_methods.list(params={"customer": cus.id, "type": "card"})
    assert [p.id for p in listed.data] == [bad.id]
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4242424242424241",
                                                                          "exp_month": 1, "exp_year": 2032}})
    assert info.value.code == "incorrect_number"


def test_three_d_secure_with_test_helper(client, sim_server):
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4000002500003155",
                                                                           "exp_month": 1, "exp_year": 2032}})
    pi = _create_confirmed(client, payment_method=pm.id, return_url="https://shop.example/return")
    assert pi.status == "requires_action"
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.url.startswith(sim_server.url + "/3ds/")
    done = client.raw_request("post", f"/v1/test_helpers/payment_intents/{pi.id}/authenticate",
                              outcome="succeed")
    assert client.deserialize(done, api_mode="V1").status == "succeeded"
    failing = _create_confirmed(client, payment_method="pm_card_authenticationRequired")
    assert failing.status == "requires_action" and failing.next_action.type == "use_stripe_sdk"
    client.raw_request("post", f"/v1/test_helpers/payment_intents/{failing.id}/authenticate", outcome="fail")
    failed = client.v1.payment_intents.retrieve(failing.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"


def test_three_d_secure_page(client, sim_server):
    import httpx

    pi = _create_confirmed(client, payment_method="pm_card_authenticationRequired",
                           return_url="https://shop.example/done")
    page = httpx.get(pi.next_action.redirect_to_url.url)
    assert page.status_code == 200 and "Complete authentication" in page.text
    resp = httpx.post(pi.next_action.redirect_to_url.url, data={"action": "complete"})
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("https://shop.example/done?payment_intent=" + pi.id)
    assert "redirect_status=succeeded" in resp.headers["location"]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_off_session_authentication_required_fails(client):
    with pytest.raises(stripe.CardError) as info:
        _create_confirmed(client, payment_method="pm_card_authenticationRequired", off_session=True)
    assert info.value.code == "authentication_required"


def test_processing_then_settled(client):
    pi = _create_confirmed(client, payment_method="pm_card_sim_processing")
    assert pi.status == "processing"
    client.raw_request("post", f"/v1/test_helpers/payment_intents/{pi.id}/finish_processing", outcome="succeeded")
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    pi2 = _create_confirmed(client, payment_method="pm_card_sim_processing")
    client.raw_request("post", f"/v1/test_helpers/payment_intents/{pi2.id}/finish_processing", outcome="failed")
    assert client.v1.payment_intents.retrieve(pi2.id).status == "requires_payment_method"


def test_list_newest_first_with_filters(client):
    cus = client.v1.customers.create(params={"email": "list@example.com"})
    ids = [client.v1.payment_intents.create(params={"amount": 1000 + i, "currency": "usd", "customer": cus.id}).id
           for i in range(5)]
    page = client.v1.payment_intents.list(params={"customer": cus.id, "limit": 3})
    assert [p.id for p in page.data] == ids[::-1][:3]
    assert page.has_more is True
    rest = client.v1.payment_intents.list(params={"customer": cus.id, "limit": 3, "starting_after": page.data[-1].id})
    assert [p.id for p in rest.data] == ids[::-1][3:]
    assert rest.has_more is False
    before = client.v1.payment_intents.list(params={"customer": cus.id, "ending_before": ids[1]})
    assert [p.id for p in before.data] == ids[::-1][:3]
    now = int(time.time())
    recent = client.v1.payment_intents.list(params={"customer": cus.id, "created": {"gte": now - 60}})
    assert len(recent.data) == 5
    future = client.v1.payment_intents.list(params={"customer": cus.id, "created": {"gt": now + 60}})
    assert future.data == []
    old = client.v1.payment_intents.list(params={"customer": cus.id, "created": {"lt": now - 60}})
    assert old.data == []
    every = list(client.v1.payment_intents.list(params={"customer": cus.id, "limit": 2}).auto_paging_iter())
    assert [p.id for p in every] == ids[::-1]


def test_zero_decimal_and_amount_limits(client):
    pi = client.v1.payment_intents.create(params={"amount": 500, "currency": "jpy", "payment_method": "pm_card_visa",
                                                  "confirm": True})
    assert pi.amount_received == 500
    txn = client.v1.balance_transactions.retrieve(client.v1.charges.retrieve(pi.latest_charge).balance_transaction)
    assert txn.fee == 18  # 3.6 % of ¥500, no fractional yen
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 49, "currency": "usd"})
    assert info.value.code == "amount_too_small" and info.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 100_000_000, "currency": "usd"})
    assert info.value.code == "amount_too_large"
    ok = client.v1.payment_intents.create(params={"amount": 99_999_999, "currency": "usd"})
    assert ok.amount == 99_999_999
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 40, "currency": "jpy"})
    assert info.value.code == "amount_too_small"
    krw = client.v1.payment_intents.create(params={"amount": 1000, "currency": "krw"})
    assert krw.amount == 1000


def test_refund_by_charge_and_errors(client):
    pi = _create_confirmed(client)
    refund = client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 700})
    assert refund.charge == pi.latest_charge and refund.payment_intent == pi.id
    refunds = client.v1.refunds.list(params={"payment_intent": pi.id})
    assert [r.id for r in refunds.data] == [refund.id]
    updated = client.v1.refunds.update(refund.id, params={"metadata": {"ticket": "42"}})
    assert updated.metadata["ticket"] == "42"
    client.v1.refunds.create(params={"charge": pi.latest_charge})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": pi.latest_charge})
    assert info.value.code == "charge_already_refunded"
    unpaid = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": unpaid.id})
    assert info.value.code == "charge_not_refundable"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": "pi_missing"})
    assert info.value.code == "resource_missing" and info.value.http_status == 404


@pytest.mark.asyncio
async def test_async_capture_cancel_list(sim_server):
    c = make_client(sim_server.url)
    pi = await c.v1.payment_intents.create_async(params={"amount": 2500, "currency": "usd", "capture_method": "manual",
                                                         "payment_method": "pm_card_visa", "confirm": True})
    assert pi.status == "requires_capture"
    pi = await c.v1.payment_intents.capture_async(pi.id, params={"amount_to_capture": 2000})
    assert pi.amount_received == 2000
    other = await c.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    other = await c.v1.payment_intents.cancel_async(other.id)
    assert other.status == "canceled"
    page = await c.v1.payment_intents.list_async(params={"limit": 2})
    assert [p.id for p in page.data] == [other.id, pi.id]
    with pytest.raises(stripe.CardError):
        await c.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd", "confirm": True,
                                                        "payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    ex = await c.v1.payment_intents.retrieve_async(pi.id, params={"expand": ["latest_charge"]})
    assert ex.latest_charge.amount_captured == 2000
