"""Stored Stripe events are processed in batches, and one that fails does not hold back the rest.

On the real database: a batch of three stored events where the middle one cannot be processed
(its PaymentIntent must be re-read from a Stripe that does not answer). The other two move their
payments and emit their events; the failing one is retried later, alone, and emits nothing.
"""

from __future__ import annotations

import uuid

import stripe
from sqlalchemy import select

from settle_kit.bus.schema import outbox
from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow
from settle_testing.platform import free_port

from billing.payments.models import Payment
from billing.webhooks.models import StripeEvent
from billing.webhooks.processor import StripeEventProcessor


def payment(run: str, n: int) -> Payment:
    return Payment(
        id=f"pay_{run}_{n}", purpose="milestone", status="requires_payment", amount=3000, currency="usd", amount_refunded=0,
        payer_id="ann", payee_id="ben", stripe_payment_intent_id=f"pi_{run}_{n}",
    )


def event(run: str, n: int, status: str) -> StripeEvent:
    intent = {"id": f"pi_{run}_{n}", "object": "payment_intent", "status": status}
    return StripeEvent(
        id=f"evt_{run}_{n}", type=f"payment_intent.{status}", payload={"data": {"object": intent}},
        received_at=utcnow(), next_attempt_at=utcnow(), attempts=0,
    )


def test_a_failing_event_is_retried_alone_and_the_rest_of_its_batch_lands(loop_and_db):
    loop, db = loop_and_db
    run = uuid.uuid4().hex[:8]
    unreachable = stripe.StripeClient(
        "sk_test_unreachable", base_addresses={"api": f"http://127.0.0.1:{free_port()}"}, http_client=stripe.HTTPXClient(),
        max_network_retries=0,
    )
    processor = StripeEventProcessor(db, unreachable)

    async def scenario():
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add_all([payment(run, n) for n in range(3)])
            await uow.session.flush()
            # `processing` is not final, so it is re-read from Stripe, which does not answer.
            uow.session.add_all([event(run, 0, "succeeded"), event(run, 1, "processing"), event(run, 2, "succeeded")])
            await uow.commit()
        taken = await processor.process_due()
        async with db.sessions() as session:
            statuses = dict((await session.execute(
                select(Payment.id, Payment.status).where(Payment.id.like(f"pay_{run}_%"))
            )).all())
            events = {e.id: e for e in await session.scalars(select(StripeEvent).where(StripeEvent.id.like(f"evt_{run}_%")))}
            emitted = sorted(
                (row.envelope["data"]["payment_id"], row.type)
                for row in (await session.execute(select(outbox.c.type, outbox.c.envelope))).all()
                if row.envelope["data"].get("payment_id", "").startswith(f"pay_{run}_")
            )
        return taken, statuses, events, emitted

    taken, statuses, events, emitted = loop.run_until_complete(scenario())
    assert taken == 3
    assert statuses == {f"pay_{run}_0": "succeeded", f"pay_{run}_1": "requires_payment", f"pay_{run}_2": "succeeded"}
    assert emitted == [(f"pay_{run}_0", "billing.payment.succeeded"), (f"pay_{run}_2", "billing.payment.succeeded")]
    failed = events[f"evt_{run}_1"]
    assert failed.processed_at is None and failed.attempts == 1 and failed.last_error and failed.status == "pending"
    assert failed.next_attempt_at > utcnow()
    assert all(events[f"evt_{run}_{n}"].processed_at is not None and events[f"evt_{run}_{n}"].status == "done" for n in (0, 2))
