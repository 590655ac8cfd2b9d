"""What the payout engine hears: sales of paid messages (earnings to pay), their refunds, and
billing's transfer reversals of payouts already made."""

from functools import cache

from sqlalchemy import text, update

from settle_contracts.billing import TransferReversed
from settle_contracts.messaging import MessageSaleCompleted, MessageSaleRefunded
from settle_kit.bus.uow import UnitOfWork

from bookings import pricing
from bookings.bookings import states
from bookings.config import Settings
from bookings.payouts.models import Earning
from bookings.payouts.sources import BY_REFERENCE

# One earning per sale, however often it is announced.
_EARN = text("""
    INSERT INTO earnings (id, source_type, payee_id, payment_id, currency, price, fee_bps, platform_fee, earning, amount_refunded,
                          payout_status, payout_reversed, earned_at)
    VALUES (:id, 'message_sale', :payee_id, :payment_id, :currency, :price, :fee_bps, :platform_fee, :earning, 0, 'pending', 0,
            :earned_at)
    ON CONFLICT (id) DO NOTHING
""")


@cache
def _fee_bps() -> int:
    return Settings().platform_fee_bps


async def on_message_sale_completed(event: MessageSaleCompleted, uow: UnitOfWork) -> None:
    """The seller earns the price less the platform's fee (the bookings' rule: basis points, half up)."""
    split = pricing.split(event.amount, 1, _fee_bps())
    await uow.session.execute(_EARN, {
        "id": event.purchase_id, "payee_id": event.seller_id, "payment_id": event.payment_id, "currency": event.currency,
        "price": split.price, "fee_bps": _fee_bps(), "platform_fee": split.platform_fee, "earning": split.expert_payout,
        "earned_at": event.completed_at,
    })


async def on_message_sale_refunded(event: MessageSaleRefunded, uow: UnitOfWork) -> None:
    """Refunded before its payout: nothing is owed. After it, billing reverses the transfer as the
    payment is refunded (TransferReversed below), as for bookings."""
    await uow.session.execute(
        update(Earning)
        .where(Earning.id == event.purchase_id, Earning.payout_status == states.PAYOUT_PENDING)
        .values(amount_refunded=Earning.price, payout_status=states.PAYOUT_VOID)
    )


async def on_transfer_reversed(event: TransferReversed, uow: UnitOfWork) -> None:
    """Billing took back part of a payout because its payment was refunded afterwards.
    `amount_reversed` is the transfer's running total, so only a larger one changes anything."""
    source = BY_REFERENCE.get(event.reference_type)
    if source is None:
        return
    model = source.model
    await uow.session.execute(
        update(model)
        .where(model.id == event.reference_id, model.payout_reversed < event.amount_reversed)
        .values(payout_reversed=event.amount_reversed)
    )
