"""Billing's reports on card purchases: the payment of a purchase (purpose `message_unlock`,
reference `message_purchase`) succeeded, failed, or was refunded in full; its Checkout Session
expired. Each may come twice, late, or before another: the purchase only moves forward."""

from __future__ import annotations

import logging

from settle_contracts.billing import CheckoutSessionExpired, PaymentFailed, PaymentRefunded, PaymentState, PaymentSucceeded
from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow

from messaging.purchases import service
from messaging.purchases.models import EXPIRED, FAILED
from messaging.purchases.repository import PurchaseRepository

log = logging.getLogger(__name__)

REFERENCE = "message_purchase"


def is_purchase_payment(event: PaymentState) -> bool:
    return event.purpose == "message_unlock" and event.reference_type == REFERENCE and event.reference_id is not None


async def lock(purchase_ids: list[str], uow: UnitOfWork) -> None:
    await PurchaseRepository(uow.session).lock(purchase_ids)


async def on_payment(event: PaymentState, uow: UnitOfWork) -> None:
    purchase = await PurchaseRepository(uow.session).get(event.reference_id, for_update=True)
    if purchase is None:
        log.warning("payment for an unknown purchase", extra={"payment_id": event.payment_id, "purchase_id": event.reference_id})
        return
    at = event.updated_at or utcnow()
    if isinstance(event, PaymentRefunded):
        if event.status == "refunded":  # a partial refund leaves the access bought
            await service.refund_reported(uow, purchase, at)
    elif isinstance(event, PaymentSucceeded):
        await service.paid(uow, purchase, payment_id=event.payment_id, at=event.succeeded_at or at)
    elif isinstance(event, PaymentFailed):
        await service.close_unpaid(uow, purchase.id, FAILED)


async def on_checkout_expired(event: CheckoutSessionExpired, uow: UnitOfWork) -> None:
    await service.close_unpaid(uow, event.reference_id, EXPIRED, session_id=event.session_id)


def is_purchase_checkout(event: CheckoutSessionExpired) -> bool:
    return event.purpose == "message_unlock" and event.reference_type == REFERENCE and event.reference_id is not None
