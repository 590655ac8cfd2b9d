from datetime import datetime
from typing import Literal

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.bookings import states
from bookings.bookings.models import Booking


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, booking: Booking) -> None:
        self.session.add(booking)

    async def get(self, booking_id: str, *, for_update: bool = False, skip_locked: bool = False) -> Booking | None:
        lock = {"skip_locked": True} if skip_locked else for_update
        return await self.session.get(Booking, booking_id, with_for_update=lock, populate_existing=bool(lock))

    async def lock_in_status(self, booking_id: str, status: str) -> Booking | None:
        """The booking, locked, if it still has `status` and nobody else holds it (SKIP LOCKED)."""
        return await self.session.scalar(
            select(Booking)
            .where(Booking.id == booking_id, Booking.status == status)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )

    def of_user(self, user_id: str, role: Literal["requester", "expert"] | None) -> Select:
        if role == "requester":
            return select(Booking).where(Booking.requester_id == user_id)
        if role == "expert":
            return select(Booking).where(Booking.expert_id == user_id)
        return select(Booking).where(or_(Booking.requester_id == user_id, Booking.expert_id == user_id))

    async def unpaid_past_hold(self, now: datetime, limit: int) -> list[str]:
        query = (
            select(Booking.id)
            .where(Booking.status == states.AWAITING_PAYMENT, Booking.hold_expires_at <= now)
            .order_by(Booking.hold_expires_at)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def scheduled_ended_before(self, moment: datetime, limit: int) -> list[str]:
        query = (
            select(Booking.id)
            .where(Booking.status == states.SCHEDULED, Booking.end_time <= moment)
            .order_by(Booking.end_time)
            .limit(limit)
        )
        return list(await self.session.scalars(query))
