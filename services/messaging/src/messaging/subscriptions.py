"""The events messaging consumes: the one list. Payment receipts arrive with billing's events."""

from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentSucceeded
from settle_kit.bus.subscriptions import Subscriptions

from messaging.messages import handlers as receipts

SUBSCRIPTIONS = Subscriptions(
    {
        PaymentSucceeded: receipts.on_payment_succeeded,
        PaymentFailed: receipts.on_payment_failed,
        PaymentRefunded: receipts.on_payment_refunded,
    }
)
