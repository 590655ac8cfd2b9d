"""Checkout Session events, applied in the webhook processor's transaction.

A session's signed event is the truth about it (`payment_status` `paid` is final), so nothing is
read back from Stripe. `completed` (and `async_payment_succeeded`/`_failed`, whichever comes
first) records the session's payment once (its id is fixed by the session, its PaymentIntent is
unique), then moves it forward only: duplicated, late or reordered events change nothing twice.
"""

from __future__ import annotations

from typing import Any

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import stable_id

from billing.checkout import purposes
from billing.payments import service as payments
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository

COMPLETED = "checkout.session.completed"
EXPIRED = "checkout.session.expired"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
TYPES = (COMPLETED, EXPIRED, ASYNC_SUCCEEDED, ASYNC_FAILED)


def is_checkout_event(event_type: str) -> bool:
    return event_type in TYPES


def payment_id_for(session_id: str) -> str:
    return stable_id("pay", "checkout", session_id)


async def apply(uow: UnitOfWork, event_type: str, session: dict[str, Any]) -> Payment | None:
    """Applies one Checkout Session event; returns the session's payment, if it has one."""
    meta = session.get("metadata") or {}
    handler = purposes.handler_for(meta.get("purpose"))
    if handler is None or session.get("mode", "payment") != "payment":
        return None  # not ours: another product on the same Stripe account
    if event_type == EXPIRED:
        await handler.on_session_expired(uow, session)
        return None
    intent_id = session.get("payment_intent")
    if not intent_id:
        return None  # nothing was charged (a session needing no payment)
    payment = await _recorded(uow, session, intent_id, meta)
    status = _intent_status(event_type, session)
    if status is not None:
        error = {"code": "async_payment_failed", "message": "The payment did not go through."} if event_type == ASYNC_FAILED else None
        intent = stripe.PaymentIntent.construct_from({"id": intent_id, "object": "payment_intent", "status": status, "last_payment_error": error}, None)
        await payments.sync_with_intent(uow, payment, intent)
    return payment


async def _recorded(uow: UnitOfWork, session: dict[str, Any], intent_id: str, meta: dict[str, str]) -> Payment:
    """The session's payment, recorded the first time one of its events comes."""
    repository = PaymentRepository(uow.session)
    payment = await repository.get(payment_id_for(session["id"]), for_update=True) or await repository.by_intent(intent_id)
    if payment is not None:
        return payment
    payment = Payment(
        id=payment_id_for(session["id"]),
        purpose=meta["purpose"],
        amount=session["amount_total"],
        currency=session["currency"],
        payer_id=meta.get("payer_id") or "checkout-customer",
        payee_id=meta.get("payee_id") or None,
        description=_description(session),
        reference_type=meta.get("reference_type") or None,
        reference_id=meta.get("reference_id") or None,
        stripe_payment_intent_id=intent_id,
    )
    return await payments.decide_payment(uow, None, payment)  # its intent exists: nothing to open


def _intent_status(event_type: str, session: dict[str, Any]) -> str | None:
    """What the session says of its PaymentIntent: paid is `succeeded`; completed but unpaid (a
    delayed method, such as a bank debit) is `processing` until its async event."""
    if event_type == ASYNC_SUCCEEDED:
        return "succeeded"
    if event_type == ASYNC_FAILED:
        return "requires_payment_method"
    if session.get("payment_status") == "paid":
        return "succeeded"
    if session.get("payment_status") == "unpaid":
        return "processing"
    return None


def _description(session: dict[str, Any]) -> str | None:
    meta = session.get("metadata") or {}
    return meta.get("description") or f"Checkout {session['id']}"
