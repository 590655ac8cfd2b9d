"""The events billing consumes: the one list."""

from settle_contracts.bookings import BookingCancelled, BookingExpired, BookingRefundRequested
from settle_contracts.messaging import ConversationCreated, ProjectCreated, ProjectMemberAdded
from settle_kit.bus.subscriptions import Subscriptions

from billing.booking_payments import handlers as booking_payments
from billing.checkout.purposes import CheckoutPurpose
from billing.membership import handlers as membership

SUBSCRIPTIONS = Subscriptions(
    {
        ProjectCreated: membership.on_project_created,
        ProjectMemberAdded: membership.on_project_member_added,
        ConversationCreated: membership.on_conversation_created,
        BookingCancelled: booking_payments.on_booking_cancelled,
        BookingExpired: booking_payments.on_booking_expired,
        BookingRefundRequested: booking_payments.on_refund_requested,
    }
)

# Payment purposes paid through Stripe Checkout, and the context told of their sessions and
# payments (see billing.checkout): the one list, installed by app.create_app.
CHECKOUT_PURPOSES: dict[str, CheckoutPurpose] = {}
