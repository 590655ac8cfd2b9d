"""Connect: Express accounts, onboarding through Account Links, destination charges, transfers, reversals."""

from __future__ import annotations

import httpx
import pytest
import stripe

from stripe_sim.testing import Receiver, make_client


def _onboarded(client):
    acct = client.v1.accounts.create(params={"type": "express", "country": "US", "email": "seller@example.com",
                                             "capabilities": {"card_payments": {"requested": True},
                                                              "transfers": {"requested": True}}})
    client.raw_request("post", f"/v1/test_helpers/accounts/{acct.id}/complete_onboarding")
    return client.v1.accounts.retrieve(acct.id)


def test_account_link_onboarding_page(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["account.updated"]})
    try:
        acct = client.v1.accounts.create(params={"type": "express", "email": "shop@example.com",
                                                 "metadata": {"seller": "s1"}})
        assert acct.type == "express" and acct.charges_enabled is False and acct.payouts_enabled is False
        assert acct.details_submitted is False and acct.requirements.currently_due
        link = client.v1.account_links.create(params={"account": acct.id, "type": "account_onboarding",
                                                      "refresh_url": "https://app.example/refresh",
                                                      "return_url": "https://app.example/return"})
        assert link.object == "account_link" and link.expires_at > link.created
        page = httpx.get(link.url)
        assert page.status_code == 200 and "Agree and submit" in page.text
        done = httpx.post(link.url, data={"name": "Jenny Rosen"})
        assert done.status_code == 303 and done.headers["location"] == "https://app.example/return"
        acct = client.v1.accounts.retrieve(acct.id)
        assert acct.charges_enabled and acct.payouts_enabled and acct.details_submitted
        assert acct.capabilities.transfers == "active"
        (hit,) = receiver.wait_for(Receiver.of_type("account.updated", acct.id))
        event = stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], ep.secret)
        assert event.data.object.charges_enabled is True
        assert event.data.previous_attributes.charges_enabled is False
        assert event.account == acct.id
        # A used link sends the person to refresh_url for a new one.
        again = httpx.get(link.url)
        assert again.status_code == 303 and again.headers["location"] == "https://app.example/refresh"
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


def test_destination_charge_with_application_fee(client):
    fresh = client.v1.accounts.create(params={"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd",
                                                 "transfer_data": {"destination": fresh.id}})
    assert info.value.code == "insufficient_capabilities_for_transfer"
    acct = _onboarded(client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "application_fee_amount": 100})
    assert info.value.param == "application_fee_amount"
    pi = client.v1.payment_intents.create(params={
        "amount": 10000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "application_fee_amount": 1230, "transfer_data": {"destination": acct.id}, "transfer_group": "order_9",
        "on_behalf_of": acct.id,
    })
    assert pi.status == "succeeded" and pi.application_fee_amount == 1230
    assert pi.transfer_data.destination == acct.id and pi.on_behalf_of == acct.id
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["transfer", "application_fee"]})
    assert charge.transfer.amount == 8770 and charge.transfer.destination == acct.id
    assert charge.transfer.transfer_group == "order_9" and charge.transfer.source_transaction == charge.id
    assert charge.application_fee.amount == 1230 and charge.application_fee.account == acct.id
    fees = client.v1.application_fees.list(params={"charge": charge.id})
    assert [f.id for f in fees.data] == [charge.application_fee.id]
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 5000, "reverse_transfer": True,
                                              "refund_application_fee": True})
    assert refund.transfer_reversal
    transfer = client.v1.transfers.retrieve(charge.transfer.id)
    assert transfer.amount_reversed == 4385
    fee = client.v1.application_fees.retrieve(charge.application_fee.id)
    assert fee.amount_refunded == 615


def test_transfers_and_reversals(client, receiver):
    acct = _onboarded(client)
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url,
                                                    "enabled_events": ["transfer.created", "transfer.reversed"]})
    try:
        pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa",
                                                      "confirm": True, "transfer_group": "g1"})
        tr = client.v1.transfers.create(params={"amount": 3000, "currency": "usd", "destination": acct.id,
                                                "transfer_group": "g1", "source_transaction": pi.latest_charge,
                                                "metadata": {"payout": "p1"}})
        assert tr.amount == 3000 and tr.destination == acct.id and tr.source_transaction == pi.latest_charge
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.transfers.create(params={"amount": 2500, "currency": "usd", "destination": acct.id,
                                               "source_transaction": pi.latest_charge})
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": "acct_missing"})
        assert info.value.code == "resource_missing"
        rev = client.v1.transfers.reversals.create(tr.id, params={"amount": 1000, "metadata": {"r": "1"}})
        assert rev.amount == 1000 and rev.transfer == tr.id
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.transfers.reversals.create(tr.id, params={"amount": 2500})
        rest = client.v1.transfers.reversals.create(tr.id)
        assert rest.amount == 2000
        tr = client.v1.transfers.retrieve(tr.id)
        assert tr.reversed is True and tr.amount_reversed == 3000
        assert [r.id for r in client.v1.transfers.reversals.list(tr.id).data] == [rest.id, rev.id]
        assert client.v1.transfers.reversals.retrieve(tr.id, rev.id).metadata["r"] == "1"
        assert tr.id in [t.id for t in client.v1.transfers.list(params={"transfer_group": "g1"}).data]
        assert tr.id in [t.id for t in client.v1.transfers.list(params={"destination": acct.id}).data]
        receiver.wait_for(Receiver.of_type("transfer.created", tr.id))
        hits = receiver.wait_for(Receiver.of_type("transfer.reversed", tr.id), count=2)
        assert hits[-1].event["data"]["object"]["reversed"] is True
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


@pytest.mark.asyncio
async def test_connect_async(sim_server):
    c = make_client(sim_server.url)
    acct = await c.v1.accounts.create_async(params={"type": "express"})
    link = await c.v1.account_links.create_async(params={"account": acct.id, "type": "account_onboarding",
                                                         "refresh_url": "https://a/r", "return_url": "https://a/d"})
    async with httpx.AsyncClient() as h:
        await h.post(link.url)
    acct = await c.v1.accounts.retrieve_async(acct.id)
    assert acct.charges_enabled
    tr = await c.v1.transfers.create_async(params={"amount": 100, "currency": "usd", "destination": acct.id})
    rev = await c.v1.transfers.reversals.create_async(tr.id, params={"amount": 100})
    assert rev.amount == 100
