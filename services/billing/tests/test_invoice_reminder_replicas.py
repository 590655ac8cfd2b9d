"""Reminders decided by several schedulers at once (replicas, or a scheduler run too often): each
level of each invoice is decided and texted once. On the real database; the clock is moved, never
slept on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from settle_kit.bus.schema import outbox
from settle_kit.bus.uow import UnitOfWork
from settle_kit.clock import Clock

from billing.invoices.models import Invoice, Reminder
from billing.invoices.reminders import ReminderScheduler
from billing.invoices.service import Urls, overdue_from

PHONE = "+14155552671"  # Los Angeles
LA = ZoneInfo("America/Los_Angeles")


def test_four_schedulers_at_once_decide_and_text_each_level_once(loop_and_db):
    loop, db = loop_and_db
    run = uuid.uuid4().hex[:8]
    due = date(2031, 1, 6)
    clock = Clock(datetime.combine(due, time(9), tzinfo=LA))
    schedulers = [ReminderScheduler(db, clock, Urls("https://pay.example"), interval_s=60, hold_s=0, reminder_hour=10) for _ in range(4)]

    async def scenario():
        async with UnitOfWork(db, "billing") as uow:
            uow.session.add_all([
                Invoice(
                    id=f"inv_{run}_{n}", issuer_id="ivy", number=f"R-{run}-{n}", customer_name="Carl", customer_phone=PHONE, description="Roof",
                    total_amount=10_000, currency="usd", due_date=due, overdue_from=overdue_from(due, PHONE), reminders=True, status="pending",
                    next_reminder_at=datetime.combine(due, time(0), tzinfo=LA),
                )
                for n in range(30)
            ])
            await uow.commit()
        for days in (0, 1, 8, 15, 16, 30):
            clock.set(datetime.combine(due + timedelta(days=days), time(10, 30), tzinfo=LA))
            for _ in range(3):
                await asyncio.gather(*(s.run_once() for s in schedulers))
        async with db.sessions() as session:
            reminders = list(await session.scalars(select(Reminder).where(Reminder.invoice_id.like(f"inv_{run}_%"))))
            texts = [row.envelope["data"] for row in (await session.execute(select(outbox.c.envelope).where(outbox.c.type == "notifications.sms.requested"))).all()]
        return reminders, [t for t in texts if t["reference_type"] == "invoice_reminder" and t["reference_id"] in {r.id for r in reminders}]

    reminders, texts = loop.run_until_complete(scenario())
    assert len(reminders) == 30 * 4
    assert {(r.invoice_id, r.level) for r in reminders} == {(f"inv_{run}_{n}", level) for n in range(30) for level in ("due", "overdue", "past_due", "final_notice")}
    assert all(r.status == "sent" for r in reminders)
    assert sorted(t["reference_id"] for t in texts) == sorted(r.id for r in reminders)  # one text each
