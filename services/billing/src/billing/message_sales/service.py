"""Billing's side of paid messages (messaging owns the purchases): a card purchase's Checkout
Session (purpose `message_unlock`, opened with `billing.checkout`), and a purchase's refund, by
card through the payment's own refund path or by credits back to the buyer's ledger.

Nothing here holds a transaction while Stripe works. A card purchase's payment is recorded and
announced by `billing.checkout` like any other (`billing.payment.succeeded` carries the
purchase as its reference); an expired session is announced for messaging to close the
purchase.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe

from settle_contracts import billing as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound, ServiceUnavailable
from settle_kit.models import stable_id, utcnow

from billing.checkout import events as checkout_events
from billing.checkout import sessions
from billing.checkout.purposes import CheckoutPurpose
from billing.connect import transfers
from billing.credits import ledger
from billing.message_sales.schemas import SaleCheckoutCreate, SaleCheckoutOut, SaleRefundCreate, SaleRefundOut
from billing.payments import service as payments
from billing.payments import states
from billing.payments.repository import PaymentRepository

PURPOSE = "message_unlock"
REFERENCE = "message_purchase"


async def open_checkout(client: stripe.StripeClient, data: SaleCheckoutCreate, public_url: str) -> SaleCheckoutOut:
    """The purchase's one Checkout Session (the same one for every retry: its key is the purchase's)."""
    payments.check_chargeable(data.amount, data.currency)
    done = f"{public_url.rstrip('/')}/v1/message-purchases/{data.purchase_id}"
    session = await sessions.open_session(
        client, purpose=PURPOSE, reference_type=REFERENCE, reference_id=data.purchase_id, payer_id=data.buyer_id,
        payee_id=data.seller_id, amount=data.amount, currency=data.currency, description="Paid message",
        idempotency_key=f"settle-message-purchase-{data.purchase_id}",
        success_url=str(data.success_url) if data.success_url else done, cancel_url=str(data.cancel_url) if data.cancel_url else done,
        extra_metadata={"message_id": data.message_id},
        expires_at=_expiry(data),
    )
    return SaleCheckoutOut(session_id=session.id, url=session.url, payment_id=checkout_events.payment_id_for(session.id))


def _expiry(data: SaleCheckoutCreate) -> datetime:
    """Stripe's shortest session life, so an abandoned page blocks the buyer's other ways to buy
    for 30 minutes rather than 24 hours. Fixed by when the purchase was opened, so a retry sends
    Stripe the same parameters under the same idempotency key (a much later one cannot)."""
    fixed = data.opened_at + timedelta(seconds=sessions.MIN_LIFETIME_S)
    earliest = utcnow() + timedelta(seconds=sessions.MIN_LIFETIME_S - 60)
    return fixed if fixed >= earliest else utcnow() + timedelta(seconds=sessions.MIN_LIFETIME_S)


async def refund(uow: UnitOfWork, client: stripe.StripeClient, caller: Principal, data: SaleRefundCreate) -> SaleRefundOut:
    if data.method == "credits":
        return await _credits_back(uow, caller, data)
    return await _card_refund(uow, client, data)


async def _credits_back(uow: UnitOfWork, caller: Principal, data: SaleRefundCreate) -> SaleRefundOut:
    """The credits the purchase debited, back in the buyer's wallet once (unique per reference)."""
    debited = await ledger.existing(uow.session, "debit", REFERENCE, data.purchase_id)
    if debited is None or debited.user_id != data.buyer_id:
        raise NotFound("No debit for this purchase.", code="debit_not_found")
    amount: Decimal = -debited.amount
    movement = await ledger.post(
        uow.session, type="refund", user_id=data.buyer_id, amount=amount, counter_account=ledger.SPENT,
        description="Refund of a paid message", created_by=caller.user_id, reference_type=REFERENCE, reference_id=data.purchase_id,
    )
    if movement is None:
        movement = await ledger.existing(uow.session, "refund", REFERENCE, data.purchase_id)
    else:
        uow.emit(events.CreditsRefunded(**ledger.event_fields(movement)))
        await transfers.on_credits_refunded(uow, REFERENCE, data.purchase_id)  # a payout made for it comes back
    await uow.commit()
    return SaleRefundOut(id=movement.transaction_id, amount=data.amount, currency=data.currency, status="succeeded")


async def _card_refund(uow: UnitOfWork, client: stripe.StripeClient, data: SaleRefundCreate) -> SaleRefundOut:
    """The whole payment back to the card, through the payments' own refund path (decided and
    committed, then sent to Stripe; the background sends it if Stripe is away just now)."""
    repository = PaymentRepository(uow.session)
    payment = await repository.get(data.payment_id, for_update=True) if data.payment_id else None
    if payment is None or payment.reference_type != REFERENCE or payment.reference_id != data.purchase_id:
        raise NotFound("No payment for this purchase.", code="payment_not_found")
    refund_id = stable_id("re", REFERENCE, data.purchase_id)
    if payment.status == states.REFUNDED and await repository.refund(refund_id) is None:
        # Refunded already, in Stripe's dashboard: nothing is left to send back.
        return SaleRefundOut(id=refund_id, amount=payment.amount_refunded, currency=payment.currency, status="succeeded")
    record = await payments.decide_refund(uow, client, payment, None, refund_id, requested_by="messaging")
    await uow.commit()
    try:
        record = await payments.send_refund(uow, client, record)
        await uow.commit()
    except ServiceUnavailable:
        pass  # decided and queued: the background sends it
    return SaleRefundOut(id=record.id, amount=record.amount, currency=record.currency, status=record.status)


async def on_session_expired(uow: UnitOfWork, session: dict[str, Any]) -> None:
    meta = session.get("metadata") or {}
    if meta.get("reference_type") != REFERENCE:
        return
    uow.emit(events.CheckoutSessionExpired(
        session_id=session["id"], purpose=PURPOSE, reference_type=REFERENCE, reference_id=meta.get("reference_id"),
    ))


# Payments' own events (`billing.payment.*`, with the purchase as reference) tell messaging of every
# move; only the session's expiry needs saying here.
CHECKOUT_PURPOSE = CheckoutPurpose(on_session_expired=on_session_expired)


