"""Products, Prices, Checkout Sessions with their hosted page, Payment Links."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from stripe_sim.testing import Receiver, make_client


def _session(client, **extra):
    params = {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1500,
                                       "product_data": {"name": "Consultation"}}, "quantity": 2}],
        "success_url": "https://app.example/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/cancel",
        "metadata": {"booking_id": "b-1"},
        "client_reference_id": "user-7",
        "payment_intent_data": {"metadata": {"booking_id": "b-1"}},
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)


def test_products_and_prices(client):
    prod = client.v1.products.create(params={"name": "Tutoring hour", "metadata": {"kind": "lesson"}})
    price = client.v1.prices.create(params={"product": prod.id, "unit_amount": 4000, "currency": "eur",
                                            "nickname": "standard"})
    assert price.type == "one_time" and price.unit_amount == 4000 and price.product == prod.id
    inline = client.v1.prices.create(params={"unit_amount": 500, "currency": "usd",
                                             "product_data": {"name": "Inline product"}})
    assert client.v1.products.retrieve(inline.product).name == "Inline product"
    assert [p.id for p in client.v1.prices.list(params={"product": prod.id}).data] == [price.id]
    price = client.v1.prices.update(price.id, params={"active": False})
    assert price.active is False
    prod = client.v1.products.update(prod.id, params={"default_price": price.id})
    assert prod.default_price == price.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"unit_amount": 500, "currency": "usd"})
    assert info.value.code == "parameter_missing"


def test_session_paid_on_hosted_page(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url,
                                                    "enabled_events": ["checkout.session.completed"]})
    try:
        price = client.v1.prices.create(params={"unit_amount": 1000, "currency": "usd",
                                                "product_data": {"name": "Seat"}})
        session = _session(client, line_items=[{"price": price.id, "quantity": 1},
                                               {"price_data": {"currency": "usd", "unit_amount": 250,
                                                               "product_data": {"name": "Fee"}}}])
        assert session.status == "open" and session.payment_status == "unpaid"
        assert session.amount_total == 1250 and session.currency == "usd"
        assert session.expires_at > time.time() + 23 * 3600
        assert session.client_reference_id == "user-7" and session.metadata["booking_id"] == "b-1"
        page = httpx.get(session.url)
        assert page.status_code == 200 and "cardNumber" in page.text and "12.50" in page.text
        declined = httpx.post(session.url, data={"cardNumber": "4000 0000 0000 0002", "cardExpiry": "12 / 34",
                                                 "cardCvc": "123", "email": "p@example.com"})
        assert declined.status_code == 402 and "Your card was declined." in declined.text
        paid = httpx.post(session.url, data={"cardNumber": "4242 4242 4242 4242", "cardExpiry": "12 / 34",
                                             "cardCvc": "123", "email": "p@example.com", "billingName": "Pat"})
        assert paid.status_code == 303
        assert paid.headers["location"] == f"https://app.example/success?session_id={session.id}"
        session = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent",
                                                                                      "line_items"]})
        assert session.status == "complete" and session.payment_status == "paid"
        assert session.customer_details.email == "p@example.com"
        pi = session.payment_intent
        assert pi.status == "succeeded" and pi.amount == 1250 and pi.metadata["booking_id"] == "b-1"
        assert [li.quantity for li in session.line_items.data] == [1, 1]
        items = client.v1.checkout.sessions.line_items.list(session.id)
        assert [li.amount_total for li in items.data] == [1000, 250]
        (hit,) = receiver.wait_for(Receiver.of_type("checkout.session.completed", session.id))
        event = stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], ep.secret)
        assert event.data.object.payment_status == "paid"
        assert event.data.object.client_reference_id == "user-7"
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


def test_session_with_three_d_secure_on_page(client):
    session = _session(client)
    resp = httpx.post(session.url, data={"cardNumber": "4000002500003155", "cardExpiry": "12/34", "cardCvc": "1"})
    assert resp.status_code == 303 and "/3ds/" in resp.headers["location"]
    done = httpx.post(resp.headers["location"], data={"action": "complete"})
    assert done.status_code == 303 and done.headers["location"].startswith("https://app.example/success")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_test_helpers_complete_and_expire(client, receiver):
    ep = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": [
        "checkout.session.completed", "checkout.session.expired"]})
    try:
        s1 = _session(client, payment_intent_data={"capture_method": "manual", "metadata": {"x": "1"}})
        client.raw_request("post", f"/v1/test_helpers/checkout/sessions/{s1.id}/complete",
                           card_number="5555555555554444", email="helper@example.com")
        s1 = client.v1.checkout.sessions.retrieve(s1.id)
        assert s1.status == "complete"
        pi = client.v1.payment_intents.retrieve(s1.payment_intent)
        assert pi.status == "requires_capture" and pi.metadata["x"] == "1"
        receiver.wait_for(Receiver.of_type("checkout.session.completed", s1.id))
        s2 = _session(client)
        s2 = client.v1.checkout.sessions.expire(s2.id)
        assert s2.status == "expired"
        receiver.wait_for(Receiver.of_type("checkout.session.expired", s2.id))
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.checkout.sessions.expire(s2.id)
        s3 = _session(client)
        client.raw_request("post", f"/v1/test_helpers/checkout/sessions/{s3.id}/expire")
        assert client.v1.checkout.sessions.retrieve(s3.id).status == "expired"
        assert httpx.get(s3.url).status_code == 410
        with pytest.raises(stripe.InvalidRequestError):
            client.raw_request("post", f"/v1/test_helpers/checkout/sessions/{s3.id}/complete")
    finally:
        client.v1.webhook_endpoints.delete(ep.id)


def test_session_expires_at_on_its_own(start_sim):
    server = start_sim(persist_interval=0.1)
    c = make_client(server.url)
    session = _session(c, expires_at=int(time.time()) + 1800)
    # Jump the simulator's clock past expires_at instead of waiting half an hour.
    server.sim.expiry_heap[:] = [(0, session.id)]
    deadline = time.time() + 3
    while c.v1.checkout.sessions.retrieve(session.id).status != "expired":
        assert time.time() < deadline
        time.sleep(0.05)
    assert [e.type for e in c.v1.events.list(params={"type": "checkout.session.expired"}).data]
    with pytest.raises(stripe.InvalidRequestError) as info:
        _session(c, expires_at=int(time.time()) + 60)
    assert info.value.param == "expires_at"


def test_session_validation(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "https://a"})
    assert info.value.param == "line_items"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params={"mode": "payment", "line_items": [{"price": "price_nope"}]})
    assert info.value.code == "resource_missing" and info.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        _session(client, colour="red")
    assert info.value.code == "parameter_unknown"


def test_payment_link_limit_and_redirect(client):
    price = client.v1.prices.create(params={"unit_amount": 2000, "currency": "usd",
                                            "product_data": {"name": "Ticket"}})
    link = client.v1.payment_links.create(params={
        "line_items": [{"price": price.id, "quantity": 2}],
        "metadata": {"event": "e1"},
        "restrictions": {"completed_sessions": {"limit": 1}},
        "after_completion": {"type": "redirect", "redirect": {"url": "https://app.example/thanks"}},
    })
    assert link.active and link.url.endswith("/b/" + link.id)
    first = httpx.get(link.url)
    assert first.status_code == 303
    second = httpx.get(link.url)
    assert second.headers["location"] != first.headers["location"]  # each visit opens a fresh session
    paid = httpx.post(first.headers["location"], data={"cardNumber": "4242424242424242", "cardExpiry": "1/30"})
    assert paid.status_code == 303 and paid.headers["location"] == "https://app.example/thanks"
    sessions = client.v1.checkout.sessions.list(params={"payment_link": link.id})
    assert len(sessions.data) == 2
    done = [s for s in sessions.data if s.status == "complete"]
    assert len(done) == 1 and done[0].amount_total == 4000 and done[0].metadata["event"] == "e1"
    link = client.v1.payment_links.retrieve(link.id)
    assert link.active is False and link.restrictions.completed_sessions.count == 1
    assert httpx.get(link.url).status_code == 410
    items = client.v1.payment_links.line_items.list(link.id)
    assert items.data[0].quantity == 2


@pytest.mark.asyncio
async def test_checkout_async(sim_server):
    c = make_client(sim_server.url)
    link_price = await c.v1.prices.create_async(params={"unit_amount": 700, "currency": "gbp",
                                                        "product_data": {"name": "Tea"}})
    link = await c.v1.payment_links.create_async(params={"line_items": [{"price": link_price.id}]})
    async with httpx.AsyncClient() as h:
        opened = await h.get(link.url)
        paid = await h.post(opened.headers["location"], data={"cardNumber": "4242424242424242"})
        thanks = await h.get(paid.headers["location"])
    assert "Thanks for your payment" in thanks.text
    session = await c.v1.checkout.sessions.create_async(params={
        "mode": "payment", "line_items": [{"price": link_price.id, "quantity": 3}], "success_url": "https://x/s"})
    assert session.amount_total == 2100
