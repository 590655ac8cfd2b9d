"""What billing itself does when one of its own payments moves, by purpose: the one list.

These run inside the transaction that moves the payment, so, for example, credits are granted
if and only if the purchase's payment is recorded as succeeded. Other services learn of payments
through `billing.payment.*` events instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settle_kit.bus.uow import UnitOfWork

    from billing.payments.models import Payment


async def on_payment_moved(uow: UnitOfWork, payment: Payment, target: str, **extra) -> None:
    if target in ("partially_refunded", "refunded"):
        # Whatever the purpose: money that went on to a payee follows its refund back.
        from billing.connect import transfers

        await transfers.on_payment_refunded(uow, payment, extra["refund_id"])
    # Purposes paid through Checkout hear of their payments through the registry filled at the
    # composition root (billing.checkout.purposes), never by an import here.
    from billing.checkout import purposes

    await purposes.payment_moved(uow, payment, target, **extra)
    if payment.purpose == "credit_purchase":
        # Imported here: the credits context opens its payments through payments.service.
        from billing.credits import purchases

        await purchases.on_payment_moved(uow, payment, target, **extra)
