"""Payments in conversations: creating them, following Stripe, refunding and cancelling them.

Every change of state goes through `_move`, which applies the forward-only state machine and
emits the matching event through the outbox in the caller's transaction.

Stripe is never called inside a transaction. Each operation is decided in a short transaction
(a payment without its PaymentIntent yet, a `pending` refund reserving its amount) together with
a Stripe task due a little later; it is committed; Stripe is called with the idempotency key we
derive from our id; what Stripe did is recorded in a second short transaction. If the call fails
for a transient reason the request answers 503 with Retry-After and the task finishes the work,
once (the request's retry, with the same Idempotency-Key, finds the same decision). If Stripe
refuses, the decision ends in a final state that says so: the payment `failed`, the refund
`failed`, with Stripe's reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import stripe

from settle_contracts import billing as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.errors import Conflict, Forbidden, NotFound, ProblemError, ServiceUnavailable, Unprocessable
from settle_kit.models import new_id, stable_id, utcnow
from settle_kit.money import format_money, minimum_charge

from billing import stripe_api
from billing.membership.lookup import Membership
from billing.membership.repository import MembershipRepository
from billing.payments import reactions, states
from billing.payments.models import Payment, Refund
from billing.payments.repository import PaymentRepository
from billing.payments.schemas import PaymentCreate
from billing.stripe_tasks import queue

if TYPE_CHECKING:
    from settle_kit.idempotency import IdempotentRequest

    from billing.stripe_tasks.models import StripeTask


async def create_milestone_payment(
    uow: UnitOfWork, client: stripe.StripeClient, payer: Principal, data: PaymentCreate, payment_id: str, *, refusals: IdempotentRequest | None = None
) -> Payment:
    """Decides the payment (committed), then opens its PaymentIntent. A retry of the same request
    (same id) finds the payment decided before and only finishes what is missing."""
    payment = await PaymentRepository(uow.session).get(payment_id)
    if payment is None:
        await _check_parties(Membership(uow, {payer.user_id, data.payee_id}), payer.user_id, data)
        check_chargeable(data.amount, data.currency)
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
        await decide_payment(uow, client, payment)
    await uow.commit()
    return await open_intent(uow, client, payment, refusals=refusals)


def check_chargeable(amount: int, currency: str, field: str = "amount") -> None:
    """Stripe refuses charges below its minimum for the currency: refused here, before anything."""
    if amount < (minimum := minimum_charge(currency)):
        raise Unprocessable(
            f"Stripe cannot charge less than {format_money(minimum, currency)} in {currency.upper()}.", code="amount_too_small", field=field
        )


async def decide_payment(uow: UnitOfWork, client: stripe.StripeClient | None, payment: Payment) -> Payment:
    """Records a new payment of any purpose, `requires_payment` and without its PaymentIntent yet,
    emits `billing.payment.created`, and asks the background to open the intent should the caller
    not manage to (`open_intent`). The payment's id must be fixed by the caller's own idempotency
    (a retried request makes the same id): Stripe's idempotency key is derived from it."""
    payment.status = states.REQUIRES_PAYMENT
    payment.amount_refunded = 0
    PaymentRepository(uow.session).add(payment)
    await uow.session.flush()
    uow.emit(events.PaymentCreated(**_state(payment)))
    if payment.stripe_payment_intent_id is None:  # known already: paid through Checkout (billing.checkout)
        await queue.enqueue(
            uow, id=intent_task_id(payment.id), kind=queue.OPEN_PAYMENT_INTENT, requested_by="billing", payment_id=payment.id,
            not_before=stripe_api.handover_at(client),
        )
    return payment


def intent_task_id(payment_id: str) -> str:
    return stable_id("pit", "open-intent", payment_id)


async def open_intent(
    uow: UnitOfWork, client: stripe.StripeClient, payment: Payment, *, refusals: IdempotentRequest | None = None
) -> Payment:
    """Creates the decided payment's PaymentIntent (no transaction may be open: call it after the
    decision committed) and records it, flushed for the caller to commit. Stripe unreachable: 503
    with Retry-After, and the background task finishes it. Stripe refusing the payment: it ends
    `failed` with Stripe's reason (committed, with `refusals`' key's answer), and the refusal is
    raised as its problem."""
    if payment.stripe_payment_intent_id is not None or payment.status != states.REQUIRES_PAYMENT:
        return payment
    _outside_transaction(uow)
    try:
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
    except (stripe.StripeError, ServiceUnavailable) as exc:
        if stripe_api.is_transient(exc):
            raise stripe_api.unavailable(exc) from exc
        error = stripe_api.problem(exc, field="amount" if getattr(exc, "param", None) in (None, "amount") else None)
        await _refused(uow, payment.id, error)
        raise await _final(uow, error, refusals) from exc
    return await _record_intent(uow, payment.id, intent)


async def _record_intent(uow: UnitOfWork, payment_id: str, intent: stripe.PaymentIntent) -> Payment:
    payment = await PaymentRepository(uow.session).get(payment_id, for_update=True)
    if payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent.id
        payment.client_secret = intent.client_secret
        payment.updated_at = utcnow()
        if payment.status == states.CANCELED:
            # Cancelled while its intent was being created: that intent must not stay payable.
            await queue.enqueue(
                uow, id=stable_id("pic", "payment-cancel", payment.id), kind=queue.CANCEL_PAYMENT, requested_by="billing", payment_id=payment.id
            )
        await uow.session.flush()
    return payment


async def _refused(uow: UnitOfWork, payment_id: str, error: ProblemError) -> None:
    payment = await PaymentRepository(uow.session).get(payment_id, for_update=True)
    if payment.stripe_payment_intent_id is None and payment.status == states.REQUIRES_PAYMENT:
        payment.failure_code, payment.failure_message = error.code, error.detail
        await _move(uow, payment, states.FAILED)


async def open_intent_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Background: opens the PaymentIntent of a payment whose request did not (see `open_intent`)."""
    async with UnitOfWork(db, "billing") as uow:
        payment = await PaymentRepository(uow.session).get(task.payment_id)
        await uow.commit()
        if payment is None:
            return "no_payment"
        if payment.stripe_payment_intent_id is not None or payment.status != states.REQUIRES_PAYMENT:
            return f"payment_{payment.status}"
        try:
            await open_intent(uow, client, payment)
        except ServiceUnavailable:
            raise  # retried later
        except ProblemError as refused:
            return f"refused_{refused.code}"
        await uow.commit()
        return "opened"


async def _final(uow: UnitOfWork, error: ProblemError, refusals: IdempotentRequest | None) -> ProblemError:
    """Commits a refusal's record, with it as the request's final answer when there is one."""
    if refusals is not None:
        return await refusals.refuse(error)
    await uow.commit()
    return error


def _outside_transaction(uow: UnitOfWork) -> None:
    if uow.session.in_transaction():
        raise RuntimeError("a Stripe call must not be made inside a database transaction: commit first")


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


async def request_refund(uow: UnitOfWork, client: stripe.StripeClient, caller: Principal, payment_id: str, amount: int | None, refund_id: str) -> Refund:
    """Decides a refund asked for by a payee or an admin (committed); `send_refund` then sends it."""
    # The row lock serialises refunds of one payment for this short transaction: the refund's
    # amount is reserved before it commits, so two at once can never exceed what is left.
    payment = await visible_payment(uow, caller, payment_id, for_update=True)
    if not (caller.is_admin or caller.user_id == payment.payee_id):
        raise Forbidden("Only the payee or an admin can refund a payment.", code="refund_not_allowed")
    refund = await decide_refund(uow, client, payment, amount, refund_id, requested_by=caller.user_id)
    await uow.commit()
    return refund


async def decide_refund(
    uow: UnitOfWork, client: stripe.StripeClient, payment: Payment, amount: int | None, refund_id: str, *, requested_by: str | None,
    background: bool = True,
) -> Refund:
    """Reserves `amount` (default: what is left) of a payment the caller has locked FOR UPDATE, as
    a `pending` refund, and asks the background to send it should the caller not manage to. The
    same `refund_id` again returns the refund decided before. `refund_id` must be fixed by the
    caller's idempotency: Stripe's key derives from it."""
    repository = PaymentRepository(uow.session)
    existing = await repository.refund(refund_id)
    if existing is not None:
        return existing
    if payment.status not in states.REFUNDABLE:
        raise Conflict(f"A {payment.status} payment cannot be refunded.", code="payment_not_refundable")
    remaining = payment.amount - payment.amount_refunded - await repository.reserved_for_refunds(payment.id)
    if remaining <= 0:
        raise Conflict("Everything paid is refunded or being refunded.", code="nothing_to_refund")
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise Unprocessable(f"Only {remaining} is left to refund.", code="refund_exceeds_remaining", field="amount")
    record = Refund(
        id=refund_id, payment_id=payment.id, amount=amount, currency=payment.currency, status="pending", stripe_refund_id=None,
        requested_by=requested_by,
    )
    repository.add(record)
    await uow.session.flush()
    if background:  # False: the caller is a task already, retried until the refund is sent
        await queue.enqueue(
            uow, id=refund_id, kind=queue.SEND_REFUND, requested_by=requested_by or "billing", payment_id=payment.id, amount=amount,
            not_before=stripe_api.handover_at(client),
        )
    return record


async def send_refund(
    uow: UnitOfWork, client: stripe.StripeClient, refund: Refund, *, refusals: IdempotentRequest | None = None
) -> Refund:
    """Sends a decided refund to Stripe (no transaction may be open) and records what Stripe did,
    flushed for the caller to commit. Stripe unreachable: 503 + Retry-After, and the background
    sends it. Stripe refusing it: the refund ends `failed` (committed; its reservation released)
    and the refusal is raised as its problem."""
    if refund.stripe_refund_id is not None or refund.status != "pending":
        return refund
    _outside_transaction(uow)
    payment = await PaymentRepository(uow.session).get(refund.payment_id)
    await uow.commit()
    try:
        stripe_refund = await client.v1.refunds.create_async(
            params={
                "payment_intent": payment.stripe_payment_intent_id,
                "amount": refund.amount,
                "metadata": {"payment_id": payment.id, "refund_id": refund.id},
            },
            options={"idempotency_key": f"settle-refund-{refund.id}"},
        )
    except (stripe.StripeError, ServiceUnavailable) as exc:
        if stripe_api.is_transient(exc):
            raise stripe_api.unavailable(exc) from exc
        error = stripe_api.problem(exc, field="amount")
        record = await PaymentRepository(uow.session).refund(refund.id, for_update=True)
        if record.stripe_refund_id is None:
            record.status, record.failure_code, record.failure_message = "failed", error.code, error.detail
        raise await _final(uow, error, refusals) from exc
    payment = await PaymentRepository(uow.session).get(refund.payment_id, for_update=True)
    await sync_refund(uow, payment, stripe_refund)
    return await PaymentRepository(uow.session).refund(refund.id)


async def send_refund_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Background: sends a refund whose request did not (see `send_refund`)."""
    async with UnitOfWork(db, "billing") as uow:
        refund = await PaymentRepository(uow.session).refund(task.id)
        await uow.commit()
        if refund is None:
            return "no_refund"
        try:
            refund = await send_refund(uow, client, refund)
        except ServiceUnavailable:
            raise
        except ProblemError as refused:
            return f"refused_{refused.code}"
        await uow.commit()
        return f"refund_{refund.status}"


async def cancel(uow: UnitOfWork, client: stripe.StripeClient, caller: Principal, payment_id: str) -> Payment:
    """The payer or payee closes an unpaid payment: its PaymentIntent is cancelled, then the payment
    (`canceled`, `billing.payment.canceled`). Paid or processing: 409 `payment_not_cancelable`."""
    payment = await visible_payment(uow, caller, payment_id)
    if caller.user_id not in (payment.payer_id, payment.payee_id):
        raise Forbidden("Only the payer or the payee can cancel a payment.", code="cancel_not_allowed")
    if payment.status == states.CANCELED:
        await uow.commit()
        return payment
    if payment.status not in CANCELABLE:
        raise Conflict(f"A {payment.status} payment cannot be canceled.", code="payment_not_cancelable")
    if payment.stripe_payment_intent_id is None:
        # Its intent is not made yet: closing the payment is enough (an intent made after this is
        # cancelled when it is recorded).
        payment = await PaymentRepository(uow.session).get(payment.id, for_update=True)
        if payment.stripe_payment_intent_id is None and payment.status in CANCELABLE:
            await close_without_intent(uow, payment)
            await uow.commit()
            return payment
    await queue.enqueue(
        uow, id=stable_id("pic", "payment-cancel", payment.id), kind=queue.CANCEL_PAYMENT, requested_by=caller.user_id,
        payment_id=payment.id, not_before=stripe_api.handover_at(client),
    )
    await uow.commit()
    intent = await cancel_intent(client, payment, f"settle-cancel-{payment.id}")
    payment = await PaymentRepository(uow.session).get(payment.id, for_update=True)
    await sync_with_intent(uow, payment, intent)
    if payment.status != states.CANCELED:
        await uow.commit()
        raise Conflict(f"A {payment.status} payment cannot be canceled.", code="payment_not_cancelable")
    return payment


CANCELABLE = (states.REQUIRES_PAYMENT, states.FAILED)


async def close_without_intent(uow: UnitOfWork, payment: Payment) -> bool:
    """Cancels a payment (locked) whose PaymentIntent is not made yet: nothing to cancel at Stripe."""
    return await _move(uow, payment, states.CANCELED)


async def cancel_intent(client: stripe.StripeClient, payment: Payment, idempotency_key: str) -> stripe.PaymentIntent:
    """Cancels the payment's PaymentIntent, or, when Stripe says it cannot be (paid or processing
    meanwhile), returns it as it is: the caller moves the payment to what it says."""
    try:
        return await client.v1.payment_intents.cancel_async(payment.stripe_payment_intent_id, options={"idempotency_key": idempotency_key})
    except stripe.InvalidRequestError:
        return await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    except (stripe.StripeError, ServiceUnavailable) as exc:
        raise stripe_api.problem(exc) if isinstance(exc, stripe.StripeError) else exc from exc


async def _apply_refunded_amount(uow: UnitOfWork, payment: Payment, amount_refunded: int, *, refund_id: str, refund_amount: int) -> bool:
    if amount_refunded <= payment.amount_refunded:
        return False
    payment.amount_refunded = amount_refunded
    return await _move(uow, payment, states.after_refund(payment.amount, amount_refunded), refund_id=refund_id, refund_amount=refund_amount)


async def sync_refund(uow: UnitOfWork, payment: Payment, stripe_refund: stripe.Refund) -> bool:
    """A refund Stripe took (asked for here, or made in Stripe's dashboard), recorded once; the
    payment is locked FOR UPDATE by the caller."""
    repository = PaymentRepository(uow.session)
    if await repository.refund_by_stripe_id(stripe_refund.id):
        return False
    # Ours if we asked for it: our pending record (whose answer may have been lost) is completed.
    ours = _metadata(stripe_refund).get("refund_id")
    record = await repository.refund(ours, for_update=True) if ours else None
    if record is not None and record.stripe_refund_id is not None:
        return False
    if stripe_refund.status not in ("succeeded", "pending"):
        if record is not None:  # Stripe took it and it failed at once: the reservation is released
            record.status, record.stripe_refund_id, record.failure_code = "failed", stripe_refund.id, "refund_failed"
            await uow.session.flush()
        return False
    if record is None:
        record = Refund(
            id=ours or new_id("re"), payment_id=payment.id, amount=stripe_refund.amount, currency=payment.currency, requested_by=None
        )
        repository.add(record)
    record.status, record.stripe_refund_id = stripe_refund.status, stripe_refund.id
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
