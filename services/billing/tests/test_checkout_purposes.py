"""Stripe Checkout plumbing (billing.checkout): a session opened for a purpose, its events sent to
that purpose's handler once, however often or in whatever order they come; sessions of unknown
purposes ignored. On the real database and the Stripe simulator through the official SDK."""

from __future__ import annotations

import uuid

import httpx
import pytest
import stripe
from sqlalchemy import select

from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow
from stripe_sim.testing import SECRET_KEY, SimServer

from billing.checkout import events as checkout_events
from billing.checkout import purposes, sessions
from billing.payments.models import Payment
from billing.webhooks.models import StripeEvent
from billing.webhooks.processor import StripeEventProcessor


@pytest.fixture(scope="module")
def simulator():
    server = SimServer().start()
    yield server
    server.stop()


@pytest.fixture
def registry():
    """The test's own purposes; the app's come back after it."""
    before = purposes.installed()
    yield purposes
    purposes.install(before)


def stored(event_type: str, session: dict) -> StripeEvent:
    now = utcnow()
    return StripeEvent(
        id=f"evt_{uuid.uuid4().hex}", type=event_type, payload={"data": {"object": session}}, received_at=now, next_attempt_at=now, attempts=0,
    )


def test_a_purpose_hears_of_its_sessions_once_and_others_are_ignored(loop_and_db, simulator, registry):
    loop, db = loop_and_db
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": simulator.url}, http_client=stripe.HTTPXClient())
    heard: list[tuple[str, str]] = []

    async def moved(uow, payment, target, **extra):
        heard.append((payment.reference_id, target))

    async def expired(uow, session):
        heard.append((session["metadata"]["reference_id"], "session_expired"))

    purposes.install({"message_unlock": purposes.CheckoutPurpose(on_payment_moved=moved, on_session_expired=expired)})
    processor = StripeEventProcessor(db, client)
    run = uuid.uuid4().hex[:8]

    async def open_one(purpose: str, reference: str) -> stripe.checkout.Session:
        return await sessions.open_session(
            client, purpose=purpose, reference_type="thing", reference_id=reference, payer_id="customer:x", payee_id="ann",
            amount=1234, currency="usd", description="A thing", idempotency_key=f"settle-test-{reference}",
        )

    async def scenario():
        paid = await open_one("message_unlock", f"paid-{run}")
        again = await open_one("message_unlock", f"paid-{run}")  # same key: the same session
        lapsing = await open_one("message_unlock", f"lapsing-{run}")
        foreign = await open_one("milestone", f"foreign-{run}")
        async with httpx.AsyncClient(base_url=simulator.url, auth=(SECRET_KEY, "")) as http:
            for session in (paid, foreign):
                (await http.post(f"/v1/test_helpers/checkout/sessions/{session.id}/complete")).raise_for_status()
        await client.v1.checkout.sessions.expire_async(lapsing.id)
        completed = (await client.v1.checkout.sessions.retrieve_async(paid.id)).to_dict()
        foreign_done = (await client.v1.checkout.sessions.retrieve_async(foreign.id)).to_dict()
        gone = (await client.v1.checkout.sessions.retrieve_async(lapsing.id)).to_dict()
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add_all([
                stored("checkout.session.async_payment_succeeded", completed),  # out of order: before `completed`
                stored("checkout.session.completed", completed),
                stored("checkout.session.completed", completed),  # Stripe repeats itself
                stored("checkout.session.expired", gone),
                stored("checkout.session.completed", foreign_done),
            ])
            await uow.commit()
        await processor.process_due()
        async with db.sessions() as session:
            found = list(await session.scalars(select(Payment).where(Payment.reference_id.like(f"%-{run}"))))
        return paid, again, found

    paid, again, found = loop.run_until_complete(scenario())
    assert again.id == paid.id
    assert [(p.id, p.purpose, p.status, p.amount, p.payee_id) for p in found] == [
        (checkout_events.payment_id_for(paid.id), "message_unlock", "succeeded", 1234, "ann")
    ]
    assert sorted(heard) == sorted([(f"paid-{run}", "succeeded"), (f"lapsing-{run}", "session_expired")])


def test_a_refund_known_only_from_charge_refunded_reaches_the_purpose(loop_and_db, simulator, registry):
    """A refund made in Stripe's dashboard, told by `charge.refunded` alone (no refund.created)."""
    loop, db = loop_and_db
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": simulator.url}, http_client=stripe.HTTPXClient())
    heard: list[tuple[str, int]] = []

    async def moved(uow, payment, target, **extra):
        heard.append((target, payment.amount_refunded))

    purposes.install({"message_unlock": purposes.CheckoutPurpose(on_payment_moved=moved)})
    processor = StripeEventProcessor(db, client)
    run = uuid.uuid4().hex[:8]

    async def scenario():
        opened = await sessions.open_session(
            client, purpose="message_unlock", reference_type="thing", reference_id=f"refunded-{run}", payer_id="customer:x", payee_id="ann",
            amount=5000, currency="usd", description="A thing", idempotency_key=f"settle-test-refunded-{run}",
        )
        async with httpx.AsyncClient(base_url=simulator.url, auth=(SECRET_KEY, "")) as http:
            (await http.post(f"/v1/test_helpers/checkout/sessions/{opened.id}/complete")).raise_for_status()
        completed = (await client.v1.checkout.sessions.retrieve_async(opened.id)).to_dict()
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add(stored("checkout.session.completed", completed))
            await uow.commit()
        await processor.process_due()
        await client.v1.refunds.create_async(params={"payment_intent": completed["payment_intent"], "amount": 1500})
        charge = (await client.v1.charges.list_async(params={"payment_intent": completed["payment_intent"]})).data[0].to_dict()
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add_all([stored("charge.refunded", charge), stored("charge.refunded", charge)])
            await uow.commit()
        await processor.process_due()
        async with db.sessions() as session:
            return await session.get(Payment, checkout_events.payment_id_for(opened.id))

    payment = loop.run_until_complete(scenario())
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 1500)
    assert heard == [("succeeded", 0), ("partially_refunded", 1500)]
