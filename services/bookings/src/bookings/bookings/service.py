"""Bookings: making one (slot, price, payment), cancelling, completing, reading.

Every move goes through `move`, which applies the forward-only state machine and emits the
matching event through the outbox in the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import IntegrityError

from settle_contracts import bookings as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import BadGateway, Conflict, Forbidden, NotFound, ProblemError, ServiceUnavailable, Unprocessable
from settle_kit.models import utcnow
from settle_kit.money import format_money, minimum_charge
from settle_kit.pagination import PageParams, paginate

from bookings import pricing
from bookings.billing_client import BillingClient, BillingError, BillingUnavailable
from bookings.bookings import states
from bookings.bookings.models import Booking
from bookings.bookings.repository import BookingRepository
from bookings.bookings.schemas import BookingCreate
from bookings.config import Settings
from bookings.experts.service import get_expert

if TYPE_CHECKING:
    from settle_kit.idempotency import IdempotentRequest

log = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"


async def create_booking(
    uow: UnitOfWork, billing: BillingClient, settings: Settings, caller: Principal, data: BookingCreate, booking_id: str,
    *, refusals: IdempotentRequest | None = None,
) -> Booking:
    """Decides the booking (its slot held, committed), then asks billing for its payment with no
    transaction held, then records the payment. A retry of the same request (the same id, from
    its Idempotency-Key) finds the booking decided before and only finishes what is missing."""
    booking = await BookingRepository(uow.session).get(booking_id)
    if booking is None:
        booking = await _decide(uow, settings, caller, data, booking_id)
    await uow.commit()
    if not booking.awaits_payment or booking.payment_id is not None:
        return booking
    try:
        payment = await _open_payment(billing, booking)
    except BillingError as exc:
        raise await _refused(uow, booking.id, exc, refusals) from None
    return await _record_payment(uow, booking.id, payment)


async def _decide(uow: UnitOfWork, settings: Settings, caller: Principal, data: BookingCreate, booking_id: str) -> Booking:
    if data.expert_id == caller.user_id:
        raise Unprocessable("You cannot book a session with yourself.", code="cannot_book_yourself", field="expert_id")
    now = utcnow()
    if data.start_time <= now + timedelta(seconds=settings.min_lead_time_s):
        raise Unprocessable("A booking must start in the future.", code="start_time_not_in_future", field="start_time")
    expert = await get_expert(uow, data.expert_id)
    split = pricing.split(expert.rate_amount, data.duration_minutes, settings.platform_fee_bps)
    if not pricing.payable(split.price):
        raise Unprocessable("The price of this session is more than one payment can carry.", code="price_too_high", field="duration_minutes")
    free = split.price == 0
    if not free and split.price < (minimum := minimum_charge(expert.rate_currency)):
        raise Unprocessable(
            f"Card payments start at {format_money(minimum, expert.rate_currency)}: book a longer session.",
            code="amount_too_small", field="duration_minutes",
        )
    booking = Booking(
        id=booking_id,
        expert_id=expert.id,
        requester_id=caller.user_id,
        start_time=data.start_time,
        end_time=data.start_time + timedelta(minutes=data.duration_minutes),
        duration_minutes=data.duration_minutes,
        status=states.SCHEDULED if free else states.AWAITING_PAYMENT,
        currency=expert.rate_currency,
        rate_per_minute=expert.rate_amount,
        fee_bps=settings.platform_fee_bps,
        price=split.price,
        platform_fee=split.platform_fee,
        expert_payout=split.expert_payout,
        hold_expires_at=None if free else now + timedelta(seconds=settings.payment_hold_s),
        scheduled_at=now if free else None,
        refund_amount=0,
        amount_refunded=0,
        payout_reversed=0,
        created_at=now,
    )
    BookingRepository(uow.session).add(booking)
    try:
        # Before asking billing for anything: a taken slot costs no payment. A concurrent request
        # for an overlapping slot waits here until the other commits or rolls back.
        await uow.session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise Conflict("The expert already has a booking at that time.", code="slot_unavailable") from None
        raise
    if free:
        uow.emit(events.BookingCreated(**state(booking)))
        uow.emit(events.BookingScheduled(**state(booking)))
    # A paid booking is announced once its payment is known (`_record_payment`).
    return booking


async def _open_payment(billing: BillingClient, booking: Booking) -> dict:
    try:
        return await billing.open_booking_payment(
            booking_id=booking.id,
            payer_id=booking.requester_id,
            payee_id=booking.expert_id,
            amount=booking.price,
            currency=booking.currency,
            description=f"Session of {booking.duration_minutes} min with {booking.expert_id}, {format_money(booking.price, booking.currency)}",
        )
    except BillingUnavailable as exc:
        # The booking stays decided, holding its slot until its hold runs out; the same request
        # again (same Idempotency-Key) asks billing for the same payment and finishes it.
        log.warning("billing unavailable for a booking's payment", extra={"booking_id": booking.id, "error": str(exc)[:300]})
        raise ServiceUnavailable(
            "Payments are unavailable just now; send the same request again (same Idempotency-Key) shortly.",
            code="billing_unavailable", retry_after_s=exc.retry_after_s,
        ) from None


async def _record_payment(uow: UnitOfWork, booking_id: str, payment: dict) -> Booking:
    booking = await BookingRepository(uow.session).get(booking_id, for_update=True)
    if booking.payment_id is None:
        booking.payment_id, booking.client_secret = payment["id"], payment["client_secret"]
        booking.updated_at = utcnow()
        if booking.status == states.AWAITING_PAYMENT:
            uow.emit(events.BookingCreated(**state(booking)))
        elif booking.status == states.EXPIRED:
            # It expired while billing was being asked, announced without a payment: said again
            # with it, so billing closes the payment (its cancellation is keyed by the booking).
            uow.emit(events.BookingExpired(**state(booking)))
        else:
            log.warning("a booking's payment arrived after it was cancelled", extra={"booking_id": booking.id, "status": booking.status})
        await uow.session.flush()
    return booking


async def _refused(uow: UnitOfWork, booking_id: str, exc: BillingError, refusals: IdempotentRequest | None) -> ProblemError:
    """Billing will not open the payment: the booking is undone (it was never announced) and its
    slot freed. A refusal about the payment itself is the request's final answer; anything else
    (billing misconfigured) is not kept, so the same request can succeed once it is fixed."""
    booking = await BookingRepository(uow.session).get(booking_id, for_update=True)
    if booking is not None and booking.payment_id is None and booking.status == states.AWAITING_PAYMENT:
        await uow.session.delete(booking)
    # Our own codes (a fixed set, enumerated in the OpenAPI document); billing's rides beside.
    if exc.status == 422:
        error: ProblemError = Unprocessable(exc.detail, code="payment_refused", field="duration_minutes", billing_code=exc.code)
    elif exc.status == 409:
        error = Conflict(exc.detail, code="payment_conflict", billing_code=exc.code)
    else:
        log.error("billing refused a booking's payment", extra={"booking_id": booking_id, "status": exc.status, "code": exc.code})
        await uow.commit()
        return BadGateway("Billing refused the payment.", code="billing_error")
    if refusals is not None:
        return await refusals.refuse(error)
    await uow.commit()
    return error


async def visible_booking(uow: UnitOfWork, caller: Principal, booking_id: str, *, for_update: bool = False) -> Booking:
    booking = await BookingRepository(uow.session).get(booking_id, for_update=for_update)
    if booking is None or not (caller.is_admin or caller.user_id in (booking.requester_id, booking.expert_id)):
        raise NotFound("No such booking.", code="booking_not_found")
    return booking


async def list_bookings(
    uow: UnitOfWork, caller: Principal, params: PageParams, role: Literal["requester", "expert"] | None, status: str | None
) -> tuple[list[Booking], bool]:
    """The caller's own bookings (an admin's too: listing is personal), newest first."""
    statement = BookingRepository(uow.session).of_user(caller.user_id, role)
    if status is not None:
        statement = statement.where(Booking.status == status)
    return await paginate(uow.session, statement, created_at=Booking.created_at, id_=Booking.id, params=params)


async def cancel_booking(uow: UnitOfWork, settings: Settings, caller: Principal, booking_id: str, reason: str | None) -> Booking:
    booking = await visible_booking(uow, caller, booking_id, for_update=True)
    if caller.user_id == booking.requester_id:
        by: Literal["requester", "expert"] = "requester"
    elif caller.user_id == booking.expert_id:
        by = "expert"
    else:
        raise Forbidden("Only the requester or the expert cancels a booking.", code="cancel_not_allowed")
    if booking.status in states.CANCELLED:
        return booking  # a repeated cancel: already done, nothing more happens
    if booking.status == states.COMPLETED:
        raise Conflict("A completed booking cannot be cancelled.", code="booking_completed")
    if booking.status == states.EXPIRED:
        raise Conflict("The booking expired unpaid; there is nothing to cancel.", code="booking_expired")
    now = utcnow()
    refund = 0
    if booking.paid_at is not None:
        refund = pricing.refund_on_cancel(
            booking.price,
            cancelled_by=by,
            start_time=booking.start_time,
            now=now,
            policy=settings.refund_policy,
            notice=timedelta(hours=settings.refund_notice_h),
            late_refund_bps=settings.late_refund_bps,
        )
    booking.cancelled_at, booking.cancellation_reason, booking.refund_amount = now, reason, refund
    await move(uow, booking, states.cancelled_status(by), cancelled_by=by, reason=reason, refund_amount=refund)
    return booking


async def complete_booking(uow: UnitOfWork, caller: Principal, booking_id: str) -> Booking:
    booking = await visible_booking(uow, caller, booking_id, for_update=True)
    if not (caller.is_admin or caller.user_id == booking.expert_id):
        raise Forbidden("Only the expert or an admin completes a booking.", code="complete_not_allowed")
    if booking.status == states.COMPLETED:
        return booking
    if booking.status != states.SCHEDULED:
        raise Conflict(f"A {booking.status} booking cannot be completed.", code="booking_not_scheduled")
    if utcnow() < booking.start_time:
        raise Conflict("The session has not started yet.", code="booking_not_started")
    await complete(uow, booking, completed_by=caller.user_id)
    return booking


async def complete(uow: UnitOfWork, booking: Booking, *, completed_by: str | None) -> None:
    booking.completed_at, booking.completed_by = utcnow(), completed_by
    if booking.expert_payout == 0:
        booking.payout_status = None  # a free session: nothing is owed
    elif booking.amount_refunded >= booking.price:
        booking.payout_status = states.PAYOUT_VOID
    else:
        booking.payout_status = states.PAYOUT_PENDING
    await move(uow, booking, states.COMPLETED, completed_by=completed_by)


async def move(uow: UnitOfWork, booking: Booking, target: str, **extra) -> bool:
    if not states.can_move(booking.status, target):
        return False
    booking.status = target
    booking.updated_at = utcnow()
    if target == states.SCHEDULED:
        booking.scheduled_at = booking.updated_at
        uow.emit(events.BookingScheduled(**state(booking)))
    elif target == states.COMPLETED:
        uow.emit(events.BookingCompleted(**state(booking), **extra))
    elif target in states.CANCELLED:
        uow.emit(events.BookingCancelled(**state(booking), **extra))
    elif target == states.EXPIRED:
        booking.expired_at = booking.updated_at
        uow.emit(events.BookingExpired(**state(booking)))
    return True


def state(booking: Booking) -> dict:
    return {
        "booking_id": booking.id,
        "expert_id": booking.expert_id,
        "requester_id": booking.requester_id,
        "start_time": booking.start_time,
        "end_time": booking.end_time,
        "duration_minutes": booking.duration_minutes,
        "status": booking.status,
        "currency": booking.currency,
        "price": booking.price,
        "platform_fee": booking.platform_fee,
        "expert_payout": booking.expert_payout,
        "payment_id": booking.payment_id,
    }
