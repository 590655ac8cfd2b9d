"""Buying credits with a card, and what follows from the purchase's payment.

A purchase is a `credit_purchase` payment. Its credits are granted in the very transaction that
records the payment as succeeded (payments/reactions.py), and the grant is unique per purchase
in the ledger, so however often, late or out of order Stripe's events come, credits land once;
a failed or canceled payment grants nothing.

Refunds (admin): by default the money for the credits still unspent is refunded and those
credits are taken back. An admin may refund more (e.g. goodwill): credits are then taken back
in proportion to the money refunded, but never more than the wallet still holds — what the user
already spent is written off (recorded on the purchase as `credits_written_off`), never pushed
below zero. Rounding is in the user's favour: money rounds down to the minor unit, credits
taken back round down to the sixth place.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

import stripe

from settle_contracts import billing as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.credits import QUANTUM, shown_credits
from settle_kit.errors import Conflict, NotFound, Unprocessable

from billing.credits import ledger
from billing.credits.models import CreditPurchase
from billing.credits.repository import CreditRepository
from billing.payments import service as payments
from billing.payments import states
from billing.payments.models import Payment, Refund
from billing.payments.repository import PaymentRepository

if TYPE_CHECKING:
    from settle_kit.idempotency import IdempotentRequest


async def buy(
    uow: UnitOfWork, client: stripe.StripeClient, buyer: Principal, package_id: str, purchase_id: str, payment_id: str,
    *, refusals: IdempotentRequest | None = None,
) -> tuple[CreditPurchase, Payment]:
    """Decides the purchase and its payment (committed), then opens the payment's PaymentIntent;
    a retry (same ids) finds them and only finishes what is missing."""
    purchase = await CreditRepository(uow.session).purchase(purchase_id)
    if purchase is not None:
        payment = await PaymentRepository(uow.session).get(purchase.payment_id)
        await uow.commit()
        return purchase, await payments.open_intent(uow, client, payment, refusals=refusals)
    package = await CreditRepository(uow.session).package(package_id)
    if package is None or not package.is_active:
        raise Unprocessable("No such credit package is on sale.", code="credit_package_unavailable", field="package_id")
    purchase = CreditPurchase(
        id=purchase_id,
        buyer_id=buyer.user_id,
        package_id=package.id,
        payment_id=payment_id,
        status=states.REQUIRES_PAYMENT,
        price_amount=package.price_amount,
        price_currency=package.price_currency,
        credits=package.credits,
        credits_clawed_back=Decimal(0),
        credits_written_off=Decimal(0),
    )
    payment = Payment(
        id=payment_id,
        purpose="credit_purchase",
        amount=package.price_amount,
        currency=package.price_currency,
        payer_id=buyer.user_id,
        payee_id=None,
        description=f"{package.name} credit package ({shown_credits(package.credits)} credits)",
        reference_type="credit_purchase",
        reference_id=purchase_id,
    )
    payments.check_chargeable(payment.amount, payment.currency, field="package_id")
    await payments.decide_payment(uow, client, payment)
    CreditRepository(uow.session).add(purchase)
    await uow.session.flush()
    await uow.commit()
    payment = await payments.open_intent(uow, client, payment, refusals=refusals)
    return purchase, payment


async def visible(uow: UnitOfWork, caller: Principal, purchase_id: str, *, for_update: bool = False) -> CreditPurchase:
    purchase = await CreditRepository(uow.session).purchase(purchase_id, for_update=for_update)
    if purchase is None or not (caller.is_admin or caller.user_id == purchase.buyer_id):
        raise NotFound("No such credit purchase.", code="credit_purchase_not_found")
    return purchase


async def on_payment_moved(uow: UnitOfWork, payment: Payment, target: str, **extra) -> None:
    """Runs in the transaction that moved the purchase's payment to `target`."""
    purchase = await CreditRepository(uow.session).purchase(payment.reference_id, for_update=True)
    if purchase is None:
        return
    purchase.status = payment.status
    if target == states.SUCCEEDED and purchase.granted_at is None:
        movement = await ledger.post(
            uow.session,
            type="credit",
            user_id=purchase.buyer_id,
            amount=purchase.credits,
            counter_account=ledger.ISSUED,
            description=payment.description,
            created_by="system",
            reference_type="credit_purchase",
            reference_id=purchase.id,
        )
        if movement is not None:  # None: the ledger already holds this purchase's grant
            purchase.granted_at = movement.created_at
            uow.emit(events.CreditsGranted(**ledger.event_fields(movement), purchase_id=purchase.id))
    elif target in (states.PARTIALLY_REFUNDED, states.REFUNDED):
        await _take_back(uow, purchase, payment, refund_id=extra["refund_id"])


async def _take_back(uow: UnitOfWork, purchase: CreditPurchase, payment: Payment, *, refund_id: str) -> None:
    """Takes back the credits this refund pays for, as far as the wallet still holds them."""
    if purchase.granted_at is None:
        return
    if payment.amount_refunded >= payment.amount:
        refunded_credits = purchase.credits
    else:
        refunded_credits = (purchase.credits * payment.amount_refunded / payment.amount).quantize(QUANTUM, rounding=ROUND_DOWN)
    due = refunded_credits - purchase.credits_clawed_back - purchase.credits_written_off
    if due <= 0:
        return
    held, _ = await ledger.balance(uow.session, purchase.buyer_id, for_update=True)
    taken = min(due, held)
    if taken > 0:
        movement = await ledger.post(
            uow.session,
            type="refund",
            user_id=purchase.buyer_id,
            amount=-taken,
            counter_account=ledger.ISSUED,
            description=f"Refund of {payment.description}",
            created_by="system",
            reference_type="refund",
            reference_id=refund_id,
        )
        if movement is None:
            return  # this refund was already taken into account
        purchase.credits_clawed_back += taken
        uow.emit(events.CreditsClawedBack(**ledger.event_fields(movement), purchase_id=purchase.id, refund_id=refund_id))
    purchase.credits_written_off += due - taken


async def refund(
    uow: UnitOfWork, client: stripe.StripeClient, admin: Principal, purchase_id: str, amount: int | None, refund_id: str,
    *, refusals: IdempotentRequest | None = None,
) -> tuple[Refund, CreditPurchase]:
    """Decides the refund (committed, its amount reserved), then sends it to Stripe."""
    purchase = await visible(uow, admin, purchase_id)
    payment = await PaymentRepository(uow.session).get(purchase.payment_id, for_update=True)
    decided = await PaymentRepository(uow.session).refund(refund_id)
    if decided is not None:
        amount = decided.amount  # a retry: the refund decided before
    elif amount is None:
        amount = await _unspent_value(uow, purchase, payment)
        if amount <= 0:
            raise Conflict(
                "Every credit of this purchase was spent or taken back; pass an amount to refund anyway.",
                code="nothing_to_refund",
            )
    record = await payments.decide_refund(uow, client, payment, amount, refund_id, requested_by=admin.user_id)
    await uow.commit()
    record = await payments.send_refund(uow, client, record, refusals=refusals)
    return record, await visible(uow, admin, purchase_id)


async def _unspent_value(uow: UnitOfWork, purchase: CreditPurchase, payment: Payment) -> int:
    """Minor units that pay for the purchase's credits the buyer still holds (rounded down)."""
    if payment.status not in states.REFUNDABLE or purchase.granted_at is None:
        return 0
    held, _ = await ledger.balance(uow.session, purchase.buyer_id)
    outstanding = purchase.credits - purchase.credits_clawed_back - purchase.credits_written_off
    unspent = min(held, outstanding)
    value = int((unspent * payment.amount / purchase.credits).to_integral_value(rounding=ROUND_DOWN))
    reserved = await PaymentRepository(uow.session).reserved_for_refunds(payment.id)
    return min(value, payment.amount - payment.amount_refunded - reserved)


def view(purchase: CreditPurchase, payment: Payment) -> dict:
    return {
        "id": purchase.id,
        "package_id": purchase.package_id,
        "status": purchase.status,
        "price": {"amount": purchase.price_amount, "currency": purchase.price_currency},
        "credits": purchase.credits,
        "client_secret": payment.client_secret,
        "payment_id": payment.id,
        "amount_refunded": payment.amount_refunded,
        "credits_clawed_back": purchase.credits_clawed_back,
        "credits_written_off": purchase.credits_written_off,
        "granted_at": purchase.granted_at,
        "created_at": purchase.created_at,
    }
