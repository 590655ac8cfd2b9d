"""Payments for bookings: opened on bookings' request, refunded or cancelled when bookings says.

Bookings owns the booking and its refund policy; billing owns the money. Bookings asks for the
payment synchronously (it needs the `client_secret` now) and for refunds and cancellations by
events, which become Stripe tasks here (stripe_tasks/), done with retries.
"""

from __future__ import annotations

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Conflict, Unprocessable
from settle_kit.models import stable_id

from billing.booking_payments.schemas import BookingPaymentCreate
from billing.payments import service as payments, states
from billing.payments.models import Payment, Refund
from billing.payments.repository import PaymentRepository
from billing.stripe_tasks.models import StripeTask

PURPOSE = "booking"


def payment_id_for(booking_id: str) -> str:
    """One payment per booking, whatever the retries: the id (and so Stripe's key) comes from it."""
    return stable_id("pay", "booking", booking_id)


async def open_booking_payment(uow: UnitOfWork, client: stripe.StripeClient, data: BookingPaymentCreate) -> Payment:
    if data.payer_id == data.payee_id:
        raise Unprocessable("The payer and the payee must be different people.", code="payee_is_payer", field="payee_id")
    payment_id = payment_id_for(data.booking_id)
    existing = await PaymentRepository(uow.session).get(payment_id)
    if existing is not None:
        if (existing.amount, existing.currency, existing.payer_id, existing.payee_id) != (data.amount, data.currency, data.payer_id, data.payee_id):
            raise Conflict("This booking already has a different payment.", code="booking_payment_exists")
        return existing
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
    try:
        return await payments.open_payment(uow, client, payment)
    except stripe.InvalidRequestError as exc:
        # E.g. below Stripe's minimum charge for the currency: the booking's price cannot be paid.
        raise Unprocessable(exc.user_message or str(exc), code=exc.code or "payment_refused", field="amount") from None


def cancellation_refund_id(booking_id: str) -> str:
    return stable_id("re", "booking-cancellation", booking_id)


def late_payment_refund_id(booking_id: str, payment_id: str) -> str:
    return stable_id("re", "booking-late-payment", booking_id, payment_id)


def cancellation_task_id(booking_id: str) -> str:
    return stable_id("pic", "booking-payment-cancel", booking_id)


async def refund_for_task(uow: UnitOfWork, client: stripe.StripeClient, task: StripeTask) -> str:
    """Refunds `task.amount` (default: what is left), once: the refund's id is the task's."""
    payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
    if payment is None:
        return "no_payment"
    if await uow.session.get(Refund, task.id) is not None:
        return "already_refunded"
    if payment.status not in states.REFUNDABLE:
        # Never paid, or refunded in full already (e.g. by an admin): nothing is left to give back.
        return f"payment_{payment.status}"
    remaining = payment.amount - payment.amount_refunded
    amount = remaining if task.amount is None else min(task.amount, remaining)
    await payments.issue_refund(uow, client, payment, amount, task.id, requested_by=task.requested_by)
    return "refunded"


async def cancel_for_task(uow: UnitOfWork, client: stripe.StripeClient, task: StripeTask) -> str:
    """Cancels the payment's PaymentIntent while nobody has paid it. If it was paid meanwhile,
    the payment moves to what Stripe says (succeeded), and bookings refunds it as a late payment."""
    payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
    if payment is None:
        return "no_payment"
    if payment.status not in (*states.OPEN, states.FAILED):
        return f"payment_{payment.status}"
    try:
        intent = await client.v1.payment_intents.cancel_async(
            payment.stripe_payment_intent_id, options={"idempotency_key": f"settle-cancel-{task.id}"}
        )
    except stripe.InvalidRequestError:
        # Not cancellable any more (paid, processing): follow Stripe's state instead.
        intent = await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    await payments.sync_with_intent(uow, payment, intent)
    return f"intent_{intent.status}"
