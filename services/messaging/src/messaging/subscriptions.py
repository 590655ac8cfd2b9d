"""The events messaging consumes: the one list. Payment receipts arrive with billing's events."""

from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentSucceeded
from settle_kit.bus.subscriptions import Only, Subscriptions

from messaging.messages import handlers as receipts

SUBSCRIPTIONS = Subscriptions(
    {
        # Receipts go to conversations; payments made outside one (credits, bookings) have none.
        PaymentSucceeded: Only(receipts.on_payment_succeeded, when=receipts.in_a_conversation),
        PaymentFailed: Only(receipts.on_payment_failed, when=receipts.in_a_conversation),
        PaymentRefunded: Only(receipts.on_payment_refunded, when=receipts.in_a_conversation),
    }
)
