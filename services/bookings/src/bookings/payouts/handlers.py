"""Billing's transfer reversals for our bookings' payouts."""

from settle_contracts.billing import TransferReversed
from settle_kit.bus.uow import UnitOfWork

from bookings.bookings.repository import BookingRepository


async def on_transfer_reversed(event: TransferReversed, uow: UnitOfWork) -> None:
    """Billing took back part of a payout because the booking's payment was refunded afterwards.
    `amount_reversed` is the transfer's running total, so only a larger one changes anything."""
    if event.reference_type != "booking":
        return
    booking = await BookingRepository(uow.session).get(event.reference_id, for_update=True)
    if booking is not None and event.amount_reversed > booking.payout_reversed:
        booking.payout_reversed = event.amount_reversed
