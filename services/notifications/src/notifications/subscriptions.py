"""The events notifications consumes: the one list."""

from settle_contracts.bookings import BookingCancelled, BookingScheduled
from settle_contracts.notifications import SmsRequested
from settle_kit.bus.subscriptions import Subscriptions

from notifications.sms.handlers import SmsHandlers


def subscriptions(sms: SmsHandlers) -> Subscriptions:
    return Subscriptions(
        {
            # Any service asking for a text (billing's invoices).
            SmsRequested: sms.sms_requested,
            # Booking texts to the requester and the expert, when they registered a phone.
            BookingScheduled: sms.booking_scheduled,
            BookingCancelled: sms.booking_cancelled,
        }
    )
