"""The events bookings consumes: the one list."""

from settle_contracts.billing import PaymentRefunded, PaymentSucceeded, PayoutAccountUpdated, TransferReversed
from settle_contracts.messaging import MessageSaleCompleted, MessageSaleRefunded
from settle_kit.bus.subscriptions import Only, Subscriptions

from bookings.bookings import handlers as bookings
from bookings.payout_accounts import service as payout_accounts
from bookings.payouts import handlers as payouts

SUBSCRIPTIONS = Subscriptions(
    {
        # Payments of other purposes (milestones, credits) are no business of bookings.
        PaymentSucceeded: Only(bookings.on_payment_succeeded, when=bookings.is_booking_payment),
        PaymentRefunded: Only(bookings.on_payment_refunded, when=bookings.is_booking_payment),
        PayoutAccountUpdated: payout_accounts.on_payout_account_updated,
        TransferReversed: payouts.on_transfer_reversed,
        # Sellers of paid messages are paid by the same payout run as experts.
        MessageSaleCompleted: payouts.on_message_sale_completed,
        MessageSaleRefunded: payouts.on_message_sale_refunded,
    }
)
