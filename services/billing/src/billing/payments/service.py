"""Payments in conversations: creating them, following Stripe, refunding them.

Every change of state goes through `_move`, which applies the forward-only state machine and
emits the matching event through the outbox in the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

import stripe

from settle_contracts import billing as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from settle_kit.models import new_id, utcnow

from billing.membership.repository import MembershipRepository
from billing.payments import reactions, states
from billing.payments.models import Payment, Refund
from billing.payments.repository import PaymentRepository
from billing.payments.schemas import PaymentCreate


async def create_milestone_payment(
    uow: UnitOfWork, client: stripe.StripeClient, payer: Principal, data: PaymentCreate, payment_id: str
) -> Payment:
    await _check_parties(MembershipRepository(uow.session), payer.user_id, data)
    payment = Payment(
        id=payment_id,
        purpose="milestone",
        amount=data.amount,
        currency=data.currency,
        payer_id=payer.user_id,
        payee_id=data.payee_id,
        project_id=data.project_id,
        conversation_id=data.conversation_id,
        description=data.description,
        reference_type="project",
        reference_id=data.project_id,
    )
    return await open_payment(uow, client, payment)


async def open_payment(uow: UnitOfWork, client: stripe.StripeClient, payment: Payment) -> Payment:
    """Creates the PaymentIntent for a new payment of any purpose, stores the payment and emits
    `billing.payment.created`. The payment's id must be fixed by the caller's own idempotency
    (a retried request makes the same id), because Stripe's idempotency key is derived from it."""
    payment.status = states.REQUIRES_PAYMENT
    payment.amount_refunded = 0
    intent = await client.v1.payment_intents.create_async(
        params={
            "amount": payment.amount,
            "currency": payment.currency,
            "description": payment.description or f"Settle {payment.purpose} payment {payment.id}",
            "automatic_payment_methods": {"enabled": True},
            "metadata": {
                "payment_id": payment.id,
                "purpose": payment.purpose,
                "payer_id": payment.payer_id,
                "payee_id": payment.payee_id or "",
                "project_id": payment.project_id or "",
                "conversation_id": payment.conversation_id or "",
                "reference_type": payment.reference_type or "",
                "reference_id": payment.reference_id or "",
            },
        },
        # Derived from our id: a retry after a lost answer gets the same PaymentIntent back.
        options={"idempotency_key": f"settle-payment-{payment.id}"},
    )
    payment.stripe_payment_intent_id = intent.id
    payment.client_secret = intent.client_secret
    PaymentRepository(uow.session).add(payment)
    await uow.session.flush()
    uow.emit(events.PaymentCreated(**_state(payment)))
    return payment


async def _check_parties(members: MembershipRepository, payer_id: str, data: PaymentCreate) -> None:
    if data.payee_id == payer_id:
        raise Unprocessable("The payer and the payee must be different people.", code="payee_is_payer", field="payee_id")
    if data.conversation_id is not None:
        participants = await members.conversation_participants(data.conversation_id)
        if payer_id not in participants:
            raise NotFound("No such conversation.", code="conversation_not_found")
        if await members.conversation_project(data.conversation_id) != data.project_id:
            raise Unprocessable("The conversation is not in this project.", code="conversation_not_in_project", field="conversation_id")
        if data.payee_id not in participants:
            raise Unprocessable("The payee does not take part in the conversation.", code="payee_not_participant", field="payee_id")
    else:
        project_members = await members.project_members(data.project_id)
        if payer_id not in project_members:
            raise NotFound("No such project.", code="project_not_found")
        if data.payee_id not in project_members:
            raise Unprocessable("The payee is not a member of the project.", code="payee_not_member", field="payee_id")


async def visible_payment(uow: UnitOfWork, caller: Principal, payment_id: str, *, for_update: bool = False) -> Payment:
    payment = await PaymentRepository(uow.session).get(payment_id, for_update=for_update)
    if payment is None or not (caller.is_admin or caller.user_id in (payment.payer_id, payment.payee_id)):
        raise NotFound("No such payment.", code="payment_not_found")
    return payment


# The PaymentIntent fields sync_with_intent reads: a webhook's copy of the intent is made into a
# Stripe object with these only (converting all of it, charges and options included, was an
# eighth of billing's CPU per webhook).
INTENT_FIELDS = ("id", "object", "status", "last_payment_error")


async def sync_with_intent(uow: UnitOfWork, payment: Payment, intent: stripe.PaymentIntent) -> bool:
    """Moves the payment to what Stripe's PaymentIntent says now (the truth, whatever the order
    of the webhooks that made us look). Returns whether anything changed."""
    # Stripe objects are not dicts: absent fields raise AttributeError, hence getattr defaults.
    error = getattr(intent, "last_payment_error", None)
    target = states.from_intent_status(intent.status, has_error=bool(error))
    if target is None or not states.can_move(payment.status, target):
        return False
    if target == states.FAILED and error:
        payment.failure_code = getattr(error, "decline_code", None) or getattr(error, "code", None)
        payment.failure_message = getattr(error, "message", None)
    return await _move(uow, payment, target)


async def _move(uow: UnitOfWork, payment: Payment, target: str, **extra) -> bool:
    if not states.can_move(payment.status, target):
        return False
    payment.status = target
    payment.updated_at = utcnow()
    state = _state(payment)
    if target == states.SUCCEEDED:
        payment.succeeded_at = payment.succeeded_at or datetime.now(UTC)
        uow.emit(events.PaymentSucceeded(**state, succeeded_at=payment.succeeded_at))
    elif target == states.FAILED:
        uow.emit(events.PaymentFailed(**state, failure_code=payment.failure_code, failure_message=payment.failure_message))
    elif target == states.PROCESSING:
        uow.emit(events.PaymentProcessing(**state))
    elif target == states.CANCELED:
        uow.emit(events.PaymentCanceled(**state))
    elif target in (states.PARTIALLY_REFUNDED, states.REFUNDED):
        uow.emit(events.PaymentRefunded(**state, **extra))
    await reactions.on_payment_moved(uow, payment, target, **extra)
    return True


async def refund(
    uow: UnitOfWork, client: stripe.StripeClient, caller: Principal, payment_id: str, amount: int | None, refund_id: str
) -> Refund:
    # The row lock serialises refunds of one payment: two at once can never exceed what is left.
    payment = await visible_payment(uow, caller, payment_id, for_update=True)
    if not (caller.is_admin or caller.user_id == payment.payee_id):
        raise Forbidden("Only the payee or an admin can refund a payment.", code="refund_not_allowed")
    return await issue_refund(uow, client, payment, amount, refund_id, requested_by=caller.user_id)


async def issue_refund(
    uow: UnitOfWork, client: stripe.StripeClient, payment: Payment, amount: int | None, refund_id: str, *, requested_by: str
) -> Refund:
    """Refunds `amount` (default: what is left) of a payment the caller has locked FOR UPDATE and
    may refund. `refund_id` must be fixed by the caller's idempotency: Stripe's key derives from it."""
    if payment.status not in states.REFUNDABLE:
        raise Conflict(f"A {payment.status} payment cannot be refunded.", code="payment_not_refundable")
    remaining = payment.amount - payment.amount_refunded
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise Unprocessable(f"Only {remaining} is left to refund.", code="refund_exceeds_remaining", field="amount")
    stripe_refund = await client.v1.refunds.create_async(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": amount, "metadata": {"payment_id": payment.id, "refund_id": refund_id}},
        options={"idempotency_key": f"settle-refund-{refund_id}"},
    )
    record = Refund(
        id=refund_id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        status=stripe_refund.status,
        stripe_refund_id=stripe_refund.id,
        requested_by=requested_by,
    )
    PaymentRepository(uow.session).add(record)
    await uow.session.flush()
    await _apply_refunded_amount(uow, payment, payment.amount_refunded + amount, refund_id=record.id, refund_amount=amount)
    await uow.session.flush()
    return record


async def _apply_refunded_amount(uow: UnitOfWork, payment: Payment, amount_refunded: int, *, refund_id: str, refund_amount: int) -> bool:
    if amount_refunded <= payment.amount_refunded:
        return False
    payment.amount_refunded = amount_refunded
    return await _move(uow, payment, states.after_refund(payment.amount, amount_refunded), refund_id=refund_id, refund_amount=refund_amount)


async def sync_refund(uow: UnitOfWork, payment: Payment, stripe_refund: stripe.Refund) -> bool:
    """A refund Stripe told us about (made here or in Stripe's dashboard), recorded once."""
    repository = PaymentRepository(uow.session)
    if stripe_refund.status not in ("succeeded", "pending") or await repository.refund_by_stripe_id(stripe_refund.id):
        return False
    record = Refund(
        # Ours if we asked for it (a crash may have lost our record of it): keep our id, so the
        # retry of that request finds it done.
        id=_metadata(stripe_refund).get("refund_id") or new_id("re"),
        payment_id=payment.id,
        amount=stripe_refund.amount,
        currency=payment.currency,
        status=stripe_refund.status,
        stripe_refund_id=stripe_refund.id,
        requested_by=None,
    )
    repository.add(record)
    await uow.session.flush()
    return await _apply_refunded_amount(
        uow, payment, min(payment.amount, payment.amount_refunded + stripe_refund.amount), refund_id=record.id, refund_amount=stripe_refund.amount
    )


def _metadata(stripe_object: stripe.StripeObject) -> dict:
    return dict(stripe_object.to_dict().get("metadata") or {})


def _state(payment: Payment) -> dict:
    return {
        "payment_id": payment.id,
        "purpose": payment.purpose,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_refunded": payment.amount_refunded,
        "payer_id": payment.payer_id,
        "payee_id": payment.payee_id,
        "project_id": payment.project_id,
        "conversation_id": payment.conversation_id,
        "reference_type": payment.reference_type,
        "reference_id": payment.reference_id,
        "description": payment.description,
        "updated_at": payment.updated_at,
    }
