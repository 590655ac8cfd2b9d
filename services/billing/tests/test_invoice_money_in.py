"""An invoice's money, from Checkout Session events on the real database: a link paid twice (two
tabs, two sessions) keeps the first payment and gives the second back at once; the issuer is told.
No Stripe call is made while the events are applied: the refund is queued for the Stripe task
runner."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from settle_kit.bus.schema import outbox
from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow

from billing.checkout import events as checkout_events
from billing.checkout import purposes
from billing.invoices.models import Invoice, LinkSession, PaymentLink
from billing.payments.models import Refund
from billing.stripe_tasks.models import StripeTask
from billing.subscriptions import CHECKOUT_PURPOSES
from billing.webhooks.models import StripeEvent
from billing.webhooks.processor import StripeEventProcessor


@pytest.fixture
def app_purposes():
    before = purposes.installed()
    purposes.install(CHECKOUT_PURPOSES)
    yield
    purposes.install(before)


def session(run: str, n: int, invoice_id: str) -> dict:
    return {
        "id": f"cs_{run}_{n}", "object": "checkout.session", "mode": "payment", "payment_intent": f"pi_{run}_{n}", "amount_total": 3_000,
        "currency": "usd", "payment_status": "paid", "status": "complete",
        "metadata": {"purpose": "invoice", "reference_type": "invoice", "reference_id": invoice_id, "payer_id": f"customer:{invoice_id}",
                     "payee_id": "ivy"},
    }


def test_a_link_paid_twice_keeps_one_payment_and_refunds_the_other(loop_and_db, app_purposes):
    loop, db = loop_and_db
    run = uuid.uuid4().hex[:8]
    invoice_id, link_id = f"inv_{run}", f"plink_{run}"
    now = utcnow()

    async def scenario():
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add(Invoice(
                id=invoice_id, issuer_id="ivy", number=f"T-{run}", customer_name="Carl", customer_phone="+14155552671", description="Deck",
                total_amount=10_000, currency="usd", reminders=False, status="pending", created_at=now, updated_at=now,
            ))
            await uow.session.flush()
            uow.session.add(PaymentLink(
                id=link_id, invoice_id=invoice_id, code=run, type="progress", amount=3_000, currency="usd", status="open",
                expires_at=now + timedelta(days=30), created_at=now,
            ))
            await uow.session.flush()
            uow.session.add_all([
                LinkSession(id=f"pls_{run}_{n}", link_id=link_id, seq=n, amount=3_000, status="open", stripe_session_id=f"cs_{run}_{n}",
                            payment_id=checkout_events.payment_id_for(f"cs_{run}_{n}"), url="https://checkout.example", created_at=now)
                for n in (1, 2)
            ])
            uow.session.add_all([
                StripeEvent(id=f"evt_{run}_{n}", type="checkout.session.completed", payload={"data": {"object": session(run, n, invoice_id)}},
                            received_at=now + timedelta(milliseconds=n), next_attempt_at=now, attempts=0)
                for n in (1, 2)
            ])
            await uow.commit()
        await StripeEventProcessor(db, None).process_due()
        async with db.sessions() as s:
            refunds = list(await s.scalars(select(Refund).where(Refund.payment_id.in_([checkout_events.payment_id_for(f"cs_{run}_{n}") for n in (1, 2)]))))
            tasks = list(await s.scalars(select(StripeTask).where(StripeTask.payment_id.in_([r.payment_id for r in refunds]))))
            link = await s.get(PaymentLink, link_id)
            texts = [row.envelope["data"]["body"] for row in (await s.execute(select(outbox.c.envelope).where(
                outbox.c.type == "notifications.sms.requested"))).all() if row.envelope["data"].get("reference_id") == invoice_id]
        return refunds, tasks, link, texts

    refunds, tasks, link, texts = loop.run_until_complete(scenario())
    assert link.status == "paid"
    assert [(r.payment_id, r.amount, r.status) for r in refunds] == [(checkout_events.payment_id_for(f"cs_{run}_2"), 3_000, "pending")]
    assert [t.kind for t in tasks] == ["send_refund"]  # sent by the task runner, outside this transaction
    assert texts.count("✅ Payment of $30.00 received! Thank you for your business. - Settle") == 1
    assert f"A link of invoice T-{run} was paid twice: the second payment, $30.00, was refunded to Carl." in texts
