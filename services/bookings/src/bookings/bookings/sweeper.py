"""Background transitions by time: unpaid bookings expire after their hold (freeing the slot),
scheduled ones complete a grace period after their end.

Each booking moves in its own short transaction and is claimed with SKIP LOCKED, so several
replicas sweep side by side, and a request cancelling or paying the same booking at that moment
either wins (the sweeper skips it) or finds it already moved.
"""

from __future__ import annotations

from datetime import timedelta

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import utcnow

from bookings.bookings import service, states
from bookings.bookings.repository import BookingRepository


BATCH = 100


async def expire_unpaid(db: Database) -> int:
    async with db.sessions() as session:
        due = await BookingRepository(session).unpaid_past_hold(utcnow(), BATCH)
    moved = 0
    for booking_id in due:
        async with UnitOfWork(db, "bookings") as uow:
            booking = await BookingRepository(uow.session).lock_in_status(booking_id, states.AWAITING_PAYMENT)
            if booking is not None and await service.move(uow, booking, states.EXPIRED):
                await uow.commit()
                moved += 1
    return moved


async def complete_finished(db: Database, grace: timedelta) -> int:
    async with db.sessions() as session:
        due = await BookingRepository(session).scheduled_ended_before(utcnow() - grace, BATCH)
    moved = 0
    for booking_id in due:
        async with UnitOfWork(db, "bookings") as uow:
            booking = await BookingRepository(uow.session).lock_in_status(booking_id, states.SCHEDULED)
            if booking is not None:
                await service.complete(uow, booking, completed_by=None)
                await uow.commit()
                moved += 1
    return moved
