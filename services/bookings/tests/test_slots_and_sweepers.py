"""Against a real PostgreSQL with bookings' migrations: the database keeps one expert's slots
apart whatever the interleaving, and the sweepers expire and complete bookings once each, even
two at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from settle_kit.bus.schema import outbox
from settle_kit.db import Database
from settle_kit.migrations import migrate
from settle_kit.models import new_id, utcnow

from bookings.bookings import sweeper
from bookings.bookings.models import Booking
from bookings.config import Settings
from bookings.migrate import ALEMBIC_INI

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def db(database_factory):
    url = await database_factory("bookings")
    # Alembic runs its own event loop: keep it off this one.
    await asyncio.to_thread(migrate, Settings(database_url=url), ALEMBIC_INI)
    database = Database(url)
    yield database
    await database.dispose()


def a_booking(start, minutes=30, *, status="awaiting_payment", expert="ed", **fields) -> Booking:
    values = {
        "id": new_id("bkg"), "expert_id": expert, "requester_id": "rita", "start_time": start,
        "end_time": start + timedelta(minutes=minutes), "duration_minutes": minutes, "status": status, "currency": "usd",
        "rate_per_minute": 100, "fee_bps": 1000, "price": 100 * minutes, "platform_fee": 10 * minutes,
        "expert_payout": 90 * minutes, "payment_id": new_id("pay"), "refund_amount": 0, "amount_refunded": 0, "payout_reversed": 0,
    }
    return Booking(**{**values, **fields})


async def insert(db: Database, *bookings: Booking) -> None:
    async with db.sessions() as session:
        session.add_all(bookings)
        await session.commit()


async def statuses(db: Database, *bookings: Booking) -> list[str]:
    async with db.sessions() as session:
        return [(await session.get(Booking, b.id)).status for b in bookings]


async def events(db: Database, event_type: str) -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(select(outbox.c.envelope).where(outbox.c.type == event_type))
        return [row["data"]["booking_id"] for row in rows]


async def test_overlapping_slots_cannot_both_commit_even_when_they_interleave(db):
    start = utcnow() + timedelta(days=1)
    async with db.sessions() as first, db.sessions() as second:
        first.add(a_booking(start, 60))
        await first.flush()
        second.add(a_booking(start + timedelta(minutes=30), 30))
        # The second waits on the first's uncommitted row, then fails when the first commits.
        waiting = asyncio.create_task(second.flush())
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await first.commit()
        with pytest.raises(IntegrityError) as refused:
            await waiting
        assert refused.value.orig.sqlstate == "23P01"


async def test_only_bookings_that_hold_their_slot_exclude_others(db):
    start = utcnow() + timedelta(days=1)
    await insert(
        db,
        a_booking(start, status="cancelled_by_requester"), a_booking(start, status="expired"), a_booking(start, status="completed"),
        a_booking(start, expert="other"),  # another expert's time
        a_booking(start + timedelta(minutes=30)),  # starts as the one below ends: no overlap
        a_booking(start, status="scheduled"),
    )
    with pytest.raises(IntegrityError):
        await insert(db, a_booking(start + timedelta(minutes=15), 15))


async def test_unpaid_bookings_expire_after_their_hold_once_each_and_free_their_slot(db):
    start = utcnow() + timedelta(days=1)
    past_hold = [a_booking(start + timedelta(hours=i), hold_expires_at=utcnow() - timedelta(seconds=1)) for i in range(5)]
    still_held = a_booking(start + timedelta(hours=10), hold_expires_at=utcnow() + timedelta(minutes=10))
    await insert(db, *past_hold, still_held)

    moved = await asyncio.gather(sweeper.expire_unpaid(db), sweeper.expire_unpaid(db))  # two replicas at once
    assert sum(moved) == 5
    assert await statuses(db, *past_hold, still_held) == ["expired"] * 5 + ["awaiting_payment"]
    assert sorted(await events(db, "bookings.booking.expired")) == sorted(b.id for b in past_hold)
    await insert(db, a_booking(start, 30))  # the slot is free again


async def test_scheduled_bookings_complete_a_grace_period_after_their_end(db):
    now = utcnow()
    ended_long_ago = a_booking(now - timedelta(hours=3), 60, status="scheduled", paid_at=now - timedelta(days=1))
    ended_just_now = a_booking(now - timedelta(minutes=40), 30, status="scheduled", paid_at=now - timedelta(days=1))
    free = a_booking(now - timedelta(hours=5), 60, status="scheduled", expert="free", price=0, platform_fee=0, expert_payout=0,
                     payment_id=None)
    await insert(db, ended_long_ago, ended_just_now, free)

    assert sum(await asyncio.gather(*(sweeper.complete_finished(db, timedelta(hours=1)) for _ in range(2)))) == 2
    assert await statuses(db, ended_long_ago, ended_just_now, free) == ["completed", "scheduled", "completed"]
    async with db.sessions() as session:
        assert (await session.get(Booking, ended_long_ago.id)).payout_status == "pending"
        assert (await session.get(Booking, free.id)).payout_status is None  # nothing is owed for a free session
    assert sorted(await events(db, "bookings.booking.completed")) == sorted([ended_long_ago.id, free.id])
