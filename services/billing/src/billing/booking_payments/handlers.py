"""Bookings' decisions about a booking's payment become Stripe tasks (done by stripe_tasks/runner.py).

The task ids come from the booking, so a redelivered or repeated event asks for nothing new.
"""

from settle_contracts.bookings import BookingCancelled, BookingExpired, BookingRefundRequested
from settle_kit.bus.uow import UnitOfWork

from billing.booking_payments import service
from billing.stripe_tasks import queue


async def on_booking_cancelled(event: BookingCancelled, uow: UnitOfWork) -> None:
    if event.payment_id is None:
        return  # a free session: no money moved
    if event.refund_amount > 0:
        await queue.enqueue(
            uow, id=service.cancellation_refund_id(event.booking_id), kind=queue.REFUND_PAYMENT, requested_by="bookings",
            payment_id=event.payment_id, amount=event.refund_amount,
        )
    else:
        # Cancelled before it was paid (or the policy keeps everything): close the payment so it
        # can no longer be paid. A payment that lands anyway comes back as a late payment.
        await _cancel(uow, event.booking_id, event.payment_id)


async def on_booking_expired(event: BookingExpired, uow: UnitOfWork) -> None:
    if event.payment_id is not None:
        await _cancel(uow, event.booking_id, event.payment_id)


async def on_refund_requested(event: BookingRefundRequested, uow: UnitOfWork) -> None:
    await queue.enqueue(
        uow, id=service.late_payment_refund_id(event.booking_id, event.payment_id), kind=queue.REFUND_PAYMENT, requested_by="bookings",
        payment_id=event.payment_id,
    )


async def _cancel(uow: UnitOfWork, booking_id: str, payment_id: str) -> None:
    await queue.enqueue(
        uow, id=service.cancellation_task_id(booking_id), kind=queue.CANCEL_PAYMENT, requested_by="bookings", payment_id=payment_id
    )
