"""Events produced by the bookings service.

Every booking event carries the booking's state after the change (event-carried state). Money is
in integer minor units of `currency`; `price = platform_fee + expert_payout` always. Billing
consumes `cancelled`, `expired` and `refund_requested` to refund or cancel the booking's payment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from settle_contracts.envelope import Event


class BookingState(Event):
    booking_id: str
    expert_id: str
    requester_id: str
    start_time: datetime
    end_time: datetime
    duration_minutes: int
    status: str
    currency: str
    price: int
    platform_fee: int
    expert_payout: int
    payment_id: str | None = None


class BookingCreated(BookingState):
    """A booking was made: `awaiting_payment` (its payment is `payment_id`), or `scheduled` when free."""

    event_type = "bookings.booking.created"


class BookingScheduled(BookingState):
    """The booking is confirmed: its payment succeeded, or it is free."""

    event_type = "bookings.booking.scheduled"


class BookingCancelled(BookingState):
    """The requester or the expert cancelled. `refund_amount` (0 when nothing was paid or the
    policy keeps everything) is what billing refunds from `payment_id`."""

    event_type = "bookings.booking.cancelled"
    cancelled_by: Literal["requester", "expert"]
    reason: str | None = None
    refund_amount: int


class BookingExpired(BookingState):
    """The booking was not paid within its hold; its slot is free again and its payment, if still
    open, should be cancelled."""

    event_type = "bookings.booking.expired"


class BookingCompleted(BookingState):
    """The session took place (marked by the expert or an admin, or automatically after its end);
    the expert's payout is now due."""

    event_type = "bookings.booking.completed"
    completed_by: str | None = None


class BookingRefundRequested(Event):
    """A payment for a booking arrived that the booking cannot take (it had expired or was
    cancelled meanwhile, or is unknown): billing refunds it in full."""

    event_type = "bookings.booking.refund_requested"
    booking_id: str
    payment_id: str
    reason: Literal["late_payment", "unknown_booking"]
