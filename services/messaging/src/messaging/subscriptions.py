"""The events messaging consumes: the one list. Payment receipts and card purchases' outcomes
arrive with billing's events."""

from settle_contracts.billing import CheckoutSessionExpired, PaymentFailed, PaymentRefunded, PaymentState, PaymentSucceeded
from settle_kit.bus.subscriptions import Batched, Only, Subscriptions
from settle_kit.bus.uow import UnitOfWork

from messaging.messages import handlers as receipts
from messaging.purchases import handlers as purchases


def _for_messaging(event: PaymentState) -> bool:
    return receipts.in_a_conversation(event) or purchases.is_purchase_payment(event)


async def payment_outcomes(events: list[PaymentState], uow: UnitOfWork) -> None:
    """Unlocks and revocations for purchases of paid messages, receipts for payments in a
    conversation. Purchases are locked first, all at once in id order, then conversations: two
    batches at once never wait on each other in a circle."""
    bought = [e for e in events if purchases.is_purchase_payment(e)]
    if bought:
        await purchases.lock([e.reference_id for e in bought], uow)
    for event in bought:
        await purchases.on_payment(event, uow)
    if in_conversations := [e for e in events if receipts.in_a_conversation(e)]:
        await receipts.post_receipts(in_conversations, uow)


SUBSCRIPTIONS = Subscriptions(
    {
        # Payments made outside a conversation and not for a paid message (credits, bookings)
        # are not messaging's. One handler for the three outcomes, taking each run of them at once.
        PaymentSucceeded: Batched(payment_outcomes, when=_for_messaging),
        PaymentFailed: Batched(payment_outcomes, when=_for_messaging),
        PaymentRefunded: Batched(payment_outcomes, when=_for_messaging),
        CheckoutSessionExpired: Only(purchases.on_checkout_expired, when=purchases.is_purchase_checkout),
    }
)
