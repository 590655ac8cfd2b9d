"""The events messaging consumes: the one list. Payment receipts arrive with billing's events."""

from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentSucceeded
from settle_kit.bus.subscriptions import Batched, Subscriptions

from messaging.messages import handlers as receipts

SUBSCRIPTIONS = Subscriptions(
    {
        # Receipts go to conversations; payments made outside one (credits, bookings) have none.
        # One handler for the three outcomes, taking each run of them at once.
        PaymentSucceeded: Batched(receipts.post_receipts, when=receipts.in_a_conversation),
        PaymentFailed: Batched(receipts.post_receipts, when=receipts.in_a_conversation),
        PaymentRefunded: Batched(receipts.post_receipts, when=receipts.in_a_conversation),
    }
)
