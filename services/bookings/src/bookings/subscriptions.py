"""The events bookings consumes: the one list."""

from settle_contracts.billing import PaymentRefunded, PaymentSucceeded, PayoutAccountUpdated, TransferReversed
from settle_kit.bus.subscriptions import Subscriptions

from bookings.bookings import handlers as bookings
from bookings.payout_accounts import service as payout_accounts
from bookings.payouts import handlers as payouts

SUBSCRIPTIONS = Subscriptions(
    {
        PaymentSucceeded: bookings.on_payment_succeeded,
        PaymentRefunded: bookings.on_payment_refunded,
        PayoutAccountUpdated: payout_accounts.on_payout_account_updated,
        TransferReversed: payouts.on_transfer_reversed,
    }
)
