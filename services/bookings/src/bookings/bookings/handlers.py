"""Billing's payment outcomes for our bookings. Other purposes' payments are not ours: ignored.

Safe against redelivery (the inbox) and against logical duplicates: a second `succeeded` for a
paid booking, or a refund total we already know, changes nothing.
"""

import logging

from settle_contracts import bookings as events
from settle_contracts.billing import PaymentRefunded, PaymentState, PaymentSucceeded
from settle_kit.bus.uow import UnitOfWork

from bookings.bookings import service, states
from bookings.bookings.repository import BookingRepository

log = logging.getLogger(__name__)


def is_booking_payment(event: PaymentState) -> bool:
    """Which payments are bookings' business (the filter of its subscriptions)."""
    return event.purpose == "booking" and event.reference_type == "booking" and event.reference_id is not None


async def on_payment_succeeded(event: PaymentSucceeded, uow: UnitOfWork) -> None:
    booking = await BookingRepository(uow.session).get(event.reference_id, for_update=True)
    if booking is None or booking.payment_id != event.payment_id:
        # Money for no booking of ours (its booking was never committed): give it back.
        log.warning("payment for an unknown booking", extra={"payment_id": event.payment_id, "booking_id": event.reference_id})
        uow.emit(events.BookingRefundRequested(booking_id=event.reference_id, payment_id=event.payment_id, reason="unknown_booking"))
        return
    if booking.paid_at is not None:
        return  # already recorded
    booking.paid_at = event.succeeded_at
    if booking.status == states.AWAITING_PAYMENT:
        await service.move(uow, booking, states.SCHEDULED)
    else:
        # It expired or was cancelled before the money came: its slot may be someone else's now.
        uow.emit(events.BookingRefundRequested(booking_id=booking.id, payment_id=event.payment_id, reason="late_payment"))


async def on_payment_refunded(event: PaymentRefunded, uow: UnitOfWork) -> None:
    """The last step of the cancellation saga (and of any other refund): the booking records what
    went back. A completed booking refunded in full before its payout owes the expert nothing."""
    booking = await BookingRepository(uow.session).get(event.reference_id, for_update=True)
    if booking is None or event.amount_refunded <= booking.amount_refunded:
        return
    booking.amount_refunded = min(event.amount_refunded, booking.price)
    if booking.payout_status == states.PAYOUT_PENDING and booking.amount_refunded >= booking.price:
        booking.payout_status = states.PAYOUT_VOID
