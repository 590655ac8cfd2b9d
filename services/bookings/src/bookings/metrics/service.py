"""Figures for admins, computed from bookings' own tables (nothing asked of billing). Pending payouts
count every earning the payout engine owes: experts' and sellers'."""

from datetime import timedelta

from sqlalchemy import and_, func, select

from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow

from bookings.bookings import states
from bookings.bookings.models import Booking
from bookings.metrics.schemas import Metrics, PendingPayouts, Window
from bookings.payouts.sources import SOURCES
from bookings.schemas import MoneyOut

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


async def metrics(uow: UnitOfWork, window: Window) -> Metrics:
    since = utcnow() - WINDOWS[window]
    session = uow.session
    created = await session.scalar(select(func.count()).select_from(Booking).where(Booking.created_at >= since))
    decided = and_(Booking.created_at >= since, Booking.price > 0, Booking.status != states.AWAITING_PAYMENT)
    paid, total = (
        await session.execute(
            select(func.count().filter(Booking.paid_at.is_not(None)), func.count()).select_from(Booking).where(decided)
        )
    ).one()
    revenue = await session.execute(
        select(Booking.currency, func.sum(Booking.platform_fee))
        .where(Booking.completed_at >= since, Booking.amount_refunded == 0)
        .group_by(Booking.currency)
        .order_by(Booking.currency)
    )
    owed: dict[str, list[int]] = {}
    for source in SOURCES:  # experts' and sellers' earnings alike
        for row in await session.scalars(select(source.model).where(source.model.payout_status == states.PAYOUT_PENDING)):
            owed.setdefault(row.currency, []).append(source.still_owed(row))
    return Metrics(
        window=window,
        since=since,
        bookings_created=created,
        payment_success_rate=round(paid / total, 4) if total else None,
        platform_revenue=[MoneyOut(amount=int(amount), currency=currency) for currency, amount in revenue.all()],
        pending_payouts=[PendingPayouts(amount=sum(amounts), currency=c, count=len(amounts)) for c, amounts in sorted(owed.items())],
    )
