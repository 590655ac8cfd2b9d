"""Payments for bookings: opened on bookings' request, refunded or cancelled when bookings says.

Bookings owns the booking and its refund policy; billing owns the money. Bookings asks for the
payment synchronously (it needs the `client_secret` now) and for refunds and cancellations by
events, which become Stripe tasks here (stripe_tasks/), done with retries.
"""

from __future__ import annotations

import stripe

from typing import TYPE_CHECKING

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.errors import Conflict, ProblemError, ServiceUnavailable, Unprocessable
from settle_kit.models import stable_id

from billing.booking_payments.schemas import BookingPaymentCreate
from billing.payments import service as payments, states
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository
from billing.stripe_tasks.models import StripeTask

if TYPE_CHECKING:
    from settle_kit.idempotency import IdempotentRequest

PURPOSE = "booking"


def payment_id_for(booking_id: str) -> str:
    """One payment per booking, whatever the retries: the id (and so Stripe's key) comes from it."""
    return stable_id("pay", "booking", booking_id)


async def open_booking_payment(
    uow: UnitOfWork, client: stripe.StripeClient, data: BookingPaymentCreate, *, refusals: IdempotentRequest | None = None
) -> Payment:
    """The booking's payment, decided once (committed) and then its PaymentIntent opened; a retry
    finds the payment decided before and only finishes what is missing."""
    if data.payer_id == data.payee_id:
        raise Unprocessable("The payer and the payee must be different people.", code="payee_is_payer", field="payee_id")
    payment_id = payment_id_for(data.booking_id)
    payment = await PaymentRepository(uow.session).get(payment_id)
    if payment is not None:
        if (payment.amount, payment.currency, payment.payer_id, payment.payee_id) != (data.amount, data.currency, data.payer_id, data.payee_id):
            raise Conflict("This booking already has a different payment.", code="booking_payment_exists")
        if payment.status == states.FAILED and payment.stripe_payment_intent_id is None:
            # Stripe refused it before (e.g. below its minimum charge): the booking cannot be paid.
            refused = {"stripe_code": payment.failure_code} if payment.failure_code else {}
            raise Unprocessable(payment.failure_message or "Stripe refused this payment.", code="payment_refused", field="amount", **refused)
    else:
        # E.g. below Stripe's minimum charge for the currency: the booking's price cannot be paid.
        payments.check_chargeable(data.amount, data.currency)
        payment = Payment(
            id=payment_id,
            purpose=PURPOSE,
            amount=data.amount,
            currency=data.currency,
            payer_id=data.payer_id,
            payee_id=data.payee_id,
            description=data.description,
            reference_type="booking",
            reference_id=data.booking_id,
        )
        await payments.decide_payment(uow, client, payment)
    await uow.commit()
    return await payments.open_intent(uow, client, payment, refusals=refusals)


def cancellation_refund_id(booking_id: str) -> str:
    return stable_id("re", "booking-cancellation", booking_id)


def late_payment_refund_id(booking_id: str, payment_id: str) -> str:
    return stable_id("re", "booking-late-payment", booking_id, payment_id)


def cancellation_task_id(booking_id: str) -> str:
    return stable_id("pic", "booking-payment-cancel", booking_id)


async def refund_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Refunds `task.amount` (default: what is left), once: the refund's id is the task's. Decided
    in one short transaction, sent to Stripe after it, recorded in another."""
    async with UnitOfWork(db, "billing") as uow:
        refund = await PaymentRepository(uow.session).refund(task.id)
        if refund is None:
            payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
            if payment is None:
                return "no_payment"
            if payment.status not in states.REFUNDABLE:
                # Never paid, or refunded in full already (e.g. by an admin): nothing is left to give back.
                return f"payment_{payment.status}"
            remaining = payment.amount - payment.amount_refunded - await PaymentRepository(uow.session).reserved_for_refunds(payment.id)
            if remaining <= 0:
                return "nothing_left"
            amount = remaining if task.amount is None else min(task.amount, remaining)
            refund = await payments.decide_refund(uow, client, payment, amount, task.id, requested_by=task.requested_by, background=False)
        await uow.commit()
        if refund.status == "failed":
            return "refused"
        try:
            refund = await payments.send_refund(uow, client, refund)
        except ServiceUnavailable:
            raise
        except ProblemError as refused:
            return f"refused_{refused.code}"
        await uow.commit()
        return "refunded"


async def cancel_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Cancels the payment's PaymentIntent while nobody has paid it. If it was paid meanwhile,
    the payment moves to what Stripe says (succeeded), and bookings refunds it as a late payment."""
    async with UnitOfWork(db, "billing") as uow:
        payment = await PaymentRepository(uow.session).get(task.payment_id)
        await uow.commit()
        if payment is None:
            return "no_payment"
        if payment.status not in (states.REQUIRES_PAYMENT, states.FAILED):
            # `processing`: the money is on its way and is not held back by a cancel (Stripe
            # refuses it for cards); when it lands, bookings asks for it to be refunded.
            return f"payment_{payment.status}"
        if payment.stripe_payment_intent_id is None:
            # Its intent is not made yet: the payment is closed now, and an intent made later is
            # cancelled when it is recorded.
            payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
            if payment.stripe_payment_intent_id is None:
                await payments.close_without_intent(uow, payment)
                await uow.commit()
                return "closed_before_intent"
            await uow.commit()
        intent = await payments.cancel_intent(client, payment, f"settle-cancel-{task.id}")
        payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
        await payments.sync_with_intent(uow, payment, intent)
        await uow.commit()
        return f"intent_{intent.status}"
