"""The events billing consumes: the one list."""

from settle_contracts.bookings import BookingCancelled, BookingExpired, BookingRefundRequested
from settle_contracts.messaging import ConversationCreated, ProjectCreated, ProjectMemberAdded
from settle_contracts.notifications import SmsDelivered, SmsFailed, SmsReceived, SmsSent, SmsSuppressed
from settle_kit.bus.subscriptions import Only, Subscriptions

from billing.booking_payments import handlers as booking_payments
from billing.checkout.purposes import CheckoutPurpose
from billing.invoices import handlers as invoice_texts
from billing.invoices import money_in as invoice_money
from billing.message_sales import service as message_sales
from billing.membership import handlers as membership

SUBSCRIPTIONS = Subscriptions(
    {
        ProjectCreated: membership.on_project_created,
        ProjectMemberAdded: membership.on_project_member_added,
        ConversationCreated: membership.on_conversation_created,
        BookingCancelled: booking_payments.on_booking_cancelled,
        BookingExpired: booking_payments.on_booking_expired,
        BookingRefundRequested: booking_payments.on_refund_requested,
        # Reminder texts' delivery and the customers' replies (other texts are not billing's concern).
        SmsSent: Only(invoice_texts.on_sms_outcome, invoice_texts.about_reminders),
        SmsDelivered: Only(invoice_texts.on_sms_outcome, invoice_texts.about_reminders),
        SmsFailed: Only(invoice_texts.on_sms_outcome, invoice_texts.about_reminders),
        SmsSuppressed: Only(invoice_texts.on_sms_outcome, invoice_texts.about_reminders),
        SmsReceived: Only(invoice_texts.on_sms_received, invoice_texts.about_reminders),
    }
)

# Payment purposes paid through Stripe Checkout, and the context told of their sessions and
# payments (see billing.checkout): the one list, installed by app.create_app.
CHECKOUT_PURPOSES: dict[str, CheckoutPurpose] = {
    "invoice": invoice_money.CHECKOUT_PURPOSE,
    "message_unlock": message_sales.CHECKOUT_PURPOSE,
}
