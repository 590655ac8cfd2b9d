"""Payouts: completed bookings' expert shares, sent through billing (Stripe Connect transfers).

A payout run takes each eligible booking in three steps, none holding a transaction or a row
lock while billing works: it claims the booking for a while (`payout_claimed_until`, one
statement), asks billing for the transfer, and records billing's answer (one statement, only
while the booking is still pending). Two runs at once share the bookings between them, never one
booking. Billing keeps one transfer per booking and derives Stripe's idempotency key from the
booking, so a run that dies after billing answered, or whose call failed, pays once too: the
next run (once the claim has run out, or at once after a failure it saw) gets the same transfer
back. Once billing is unavailable, the rest of the run is left pending without asking.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import utcnow
from settle_kit.money import prorate

from bookings.billing_client import BillingClient, BillingError, BillingUnavailable
from bookings.bookings import states
from bookings.bookings.models import Booking
from bookings.experts.models import Expert
from bookings.payouts.schemas import FailedPayout, PaidBooking, PayoutRow, PayoutRunSummary

log = logging.getLogger(__name__)


def still_owed(booking: Booking) -> int:
    """The expert's share of what is left of the payment (billing applies the same rule)."""
    if booking.price == 0:
        return 0
    return booking.expert_payout - prorate(booking.expert_payout, booking.amount_refunded, booking.price)


async def run(db: Database, billing: BillingClient, claim_for: timedelta) -> PayoutRunSummary:
    async with db.sessions() as session:
        eligible = list(
            await session.scalars(
                select(Booking.id)
                .join(Expert, Expert.id == Booking.expert_id)
                .where(Booking.payout_status == states.PAYOUT_PENDING, Expert.payouts_enabled.is_(True))
                .order_by(Booking.completed_at, Booking.id)
            )
        )
        waiting = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .join(Expert, Expert.id == Booking.expert_id)
            .where(Booking.payout_status == states.PAYOUT_PENDING, Expert.payouts_enabled.is_(False))
        )
    summary = PayoutRunSummary(paid=[], failed=[], waiting_for_payouts_enabled=waiting)
    unavailable: str | None = None
    for booking_id in eligible:
        booking = await _claim(db, booking_id, claim_for)
        if booking is None:
            continue  # paid meanwhile, or another run holds it right now
        if unavailable is not None:
            summary.failed.append(FailedPayout(booking_id=booking.id, expert_id=booking.expert_id, code="billing_unavailable", detail=unavailable))
            await _release(db, booking.id)
            continue
        try:
            transfer = await billing.transfer_for_booking(
                booking_id=booking.id, payment_id=booking.payment_id, payee_id=booking.expert_id,
                amount=booking.expert_payout, currency=booking.currency,
            )
        except (BillingError, BillingUnavailable) as exc:
            code = exc.code if isinstance(exc, BillingError) else "billing_unavailable"
            log.warning("payout failed", extra={"booking_id": booking.id, "code": code})
            summary.failed.append(FailedPayout(booking_id=booking.id, expert_id=booking.expert_id, code=code, detail=str(exc)[:300]))
            if isinstance(exc, BillingUnavailable):
                unavailable = "Billing was unavailable; left for the next run."
            await _release(db, booking.id)
            continue
        paid = await _record(db, booking.id, transfer)
        summary.paid.append(
            PaidBooking(
                booking_id=booking.id, expert_id=booking.expert_id, amount=transfer["amount"], currency=booking.currency,
                status=paid, transfer_id=transfer["id"],
            )
        )
    return summary


async def _claim(db: Database, booking_id: str, claim_for: timedelta) -> Booking | None:
    """The booking, claimed until `claim_for` from now, if it is still owed and nobody holds it."""
    now = utcnow()
    async with db.sessions() as session:
        booking = await session.scalar(
            update(Booking)
            .where(
                Booking.id == booking_id, Booking.payout_status == states.PAYOUT_PENDING,
                or_(Booking.payout_claimed_until.is_(None), Booking.payout_claimed_until < now),
            )
            .values(payout_claimed_until=now + claim_for)
            .returning(Booking)
        )
        await session.commit()
        return booking


async def _release(db: Database, booking_id: str) -> None:
    """The call failed: the next run may try at once."""
    async with db.sessions() as session:
        await session.execute(update(Booking).where(Booking.id == booking_id).values(payout_claimed_until=None))
        await session.commit()


async def _record(db: Database, booking_id: str, transfer: dict) -> str:
    """Billing's transfer, kept once: a booking already recorded (a run whose claim ran out raced
    this one to the same transfer) is left as it is."""
    status = states.PAYOUT_PAID if transfer["status"] == "paid" else states.PAYOUT_VOID
    async with db.sessions() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.payout_status == states.PAYOUT_PENDING)
            .values(
                payout_status=status, payout_amount=transfer["amount"], transfer_id=transfer["id"], paid_out_at=utcnow(),
                payout_reversed=func.greatest(Booking.payout_reversed, transfer["amount_reversed"]), payout_claimed_until=None,
            )
        )
        await session.commit()
    return status


async def rows(
    uow: UnitOfWork, statuses: tuple[str, ...], limit: int, starting_after: str | None
) -> tuple[list[PayoutRow], bool]:
    """Payouts grouped per expert, currency and status; pages of `limit` experts, by expert id."""
    experts_query = (
        select(Booking.expert_id).where(Booking.payout_status.in_(statuses)).group_by(Booking.expert_id).order_by(Booking.expert_id)
    )
    if starting_after is not None:
        experts_query = experts_query.where(Booking.expert_id > starting_after)
    expert_ids = list(await uow.session.scalars(experts_query.limit(limit + 1)))
    has_more, expert_ids = len(expert_ids) > limit, expert_ids[:limit]
    bookings = await uow.session.scalars(
        select(Booking)
        .where(Booking.expert_id.in_(expert_ids), Booking.payout_status.in_(statuses))
        .order_by(Booking.completed_at, Booking.id)
    )
    enabled = dict((await uow.session.execute(select(Expert.id, Expert.payouts_enabled).where(Expert.id.in_(expert_ids)))).all())
    groups: dict[tuple[str, str, str], PayoutRow] = {}
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for booking in bookings:
        key = (booking.expert_id, booking.currency, booking.payout_status)
        row = groups.setdefault(
            key,
            PayoutRow(expert_id=booking.expert_id, booking_ids=[], amount=0, currency=booking.currency, status=booking.payout_status,
                      payouts_enabled=enabled.get(booking.expert_id, False)),
        )
        row.booking_ids.append(booking.id)
        totals[key] += still_owed(booking) if booking.payout_status == states.PAYOUT_PENDING else booking.payout_amount or 0
        row.amount_reversed += booking.payout_reversed
    for key, row in groups.items():
        row.amount = totals[key]
    return sorted(groups.values(), key=lambda r: (r.expert_id, r.currency, r.status)), has_more

