"""Reminders: billing decides which one is due, because only billing knows at that instant whether
the invoice is paid; notifications only sends (and keeps reminders inside the customer's
daytime).

Levels, by days past the due date on the customer's calendar (time zone from their number),
each due from `reminder_hour` local time: `due` (the due day), `overdue` (>0), `past_due` (>7),
`final_notice` (>14). A level is at most once per invoice (unique constraint), so how often or on
how many replicas the scheduler runs never matters.

Two steps, each a short transaction with the invoice locked:
- decide: the level due now is recorded `scheduled`, to go `hold` later. Only the level due now:
  after downtime, not a burst of the stale ones; never a level below one already decided.
- send: a scheduled reminder is sent (an SMS asked of notifications through the outbox, with a
  link for what remains) in the customer's daytime (else it waits for their morning: queued
  overnight at notifications, a payment landing before morning could no longer stop it), or
  withdrawn: the invoice paid or cancelled, a payment in flight (processing), reminders turned
  off, or a later level due by now. The hold gives a payment being made at that moment (a
  checkout just completed, its webhook on the way) time to land.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, time, timedelta

from settle_contracts.notifications import SmsRequested
from settle_kit.bus.uow import UnitOfWork
from settle_kit.clock import Clock
from settle_kit.db import Database
from settle_kit.models import stable_id
from settle_kit.phones import time_zone

from billing.invoices import balance as rules
from billing.invoices import texts
from billing.invoices.models import Invoice, Reminder
from billing.invoices.repository import InvoiceRepository
from billing.invoices.service import REMINDER_REFERENCE, Urls, link_for_remaining

log = logging.getLogger(__name__)
RANK = {level: i for i, level in enumerate(texts.LEVELS)}
BATCH = 100
# Reminders go before this hour of the customer's day (notifications' quiet hours start at 21:00).
LAST_HOUR = 20


def days_overdue(invoice: Invoice, now: datetime, reminder_hour: int) -> int | None:
    """Whole days past the due date on the customer's calendar, a day starting at `reminder_hour`."""
    if invoice.due_date is None:
        return None
    local = now.astimezone(time_zone(invoice.customer_phone)) - timedelta(hours=reminder_hour)
    return (local.date() - invoice.due_date).days


def level_due(invoice: Invoice, now: datetime, reminder_hour: int) -> str | None:
    days = days_overdue(invoice, now, reminder_hour)
    if days is None or days < 0:
        return None
    return max((level for level in texts.LEVELS if texts.LEVEL_DAYS[level] <= days), key=RANK.__getitem__)


class ReminderScheduler:
    def __init__(self, db: Database, clock: Clock, urls: Urls, *, interval_s: float, hold_s: float, reminder_hour: int) -> None:
        self.db, self.clock, self.urls = db, clock, urls
        self.interval_s, self.hold, self.reminder_hour = interval_s, timedelta(seconds=hold_s), reminder_hour
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("invoice reminders failed; retried at the next run")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()

    async def run_once(self) -> None:
        """Decides and sends until nothing is left to do now (a batch at a time)."""
        while True:
            looked_at = await self.decide()
            handled = await self.send()
            if looked_at < BATCH and handled < BATCH:
                return

    async def decide(self) -> int:
        """Returns how many invoices it looked at."""
        now = self.clock.now()
        async with UnitOfWork(self.db, "billing") as uow:
            repository = InvoiceRepository(uow.session)
            candidates = await repository.due_for_reminders(now, BATCH)
            decided = await repository.reminders_of([invoice.id for invoice in candidates])
            for invoice in candidates:
                level = level_due(invoice, now, self.reminder_hour)
                reached = max((RANK[r.level] for r in decided[invoice.id]), default=-1)
                if level is not None and RANK[level] > reached:
                    repository.add(Reminder(
                        id=stable_id("rem", invoice.id, level), invoice_id=invoice.id, level=level, status="scheduled", decided_at=now,
                        send_after=now + self.hold,
                    ))
                    reached = RANK[level]
                invoice.next_reminder_at = self._level_starts(invoice, reached + 1)
            await uow.session.flush()
            await uow.commit()
        return len(candidates)

    async def send(self) -> int:
        """Returns how many invoices with reminders due it handled (each reminder sent, withdrawn
        or put off). Invoices are locked before their reminders, as payments and cancellations do."""
        now = self.clock.now()
        async with UnitOfWork(self.db, "billing") as uow:
            repository = InvoiceRepository(uow.session)
            wanted = await repository.invoices_with_reminders_due(now, BATCH)
            invoices = {invoice.id: invoice for invoice in await repository.lock_invoices(wanted)}
            ids = list(invoices)
            payments, links = await repository.payments_of(ids), await repository.links_of(ids)
            for reminder in await repository.reminders_due(ids, now):
                invoice = invoices[reminder.invoice_id]
                found = rules.balance(invoice.total_amount, ((p.status, p.amount, p.amount_refunded) for p in payments[invoice.id]))
                reason = self._withdrawal(invoice, found, reminder, now)
                if reason is not None:
                    reminder.status, reminder.withdrawn_reason = "withdrawn", reason
                    continue
                if (later := self._next_daytime(invoice, now)) is not None:
                    # Sent by us in the customer's daytime, never queued at notifications overnight,
                    # where a payment landing before morning could no longer withdraw it.
                    reminder.send_after = later
                    continue
                link = await link_for_remaining(uow, invoice, found, now, links[invoice.id])
                body = texts.reminder(
                    reminder.level, found.remaining, invoice.currency, self.urls.pay(link.code), days_overdue(invoice, now, 0) or 0,
                )
                envelope = uow.emit(SmsRequested(
                    to_phone=invoice.customer_phone, body=body, kind="reminder", requested_by=invoice.issuer_id,
                    reference_type=REMINDER_REFERENCE, reference_id=reminder.id,
                ))
                reminder.status, reminder.sent_at, reminder.body, reminder.link_id = "sent", now, body, link.id
                reminder.sms_id, reminder.sms_status = SmsRequested.sms_id(envelope.id), "queued"
                link.sent_at = link.sent_at or now
            await uow.session.flush()
            await uow.commit()
        return len(wanted)

    def _level_starts(self, invoice: Invoice, rank: int) -> datetime | None:
        """When the level of `rank` starts for the invoice (None past the last level)."""
        if rank >= len(texts.LEVELS) or invoice.due_date is None:
            return None
        day = invoice.due_date + timedelta(days=texts.LEVEL_DAYS[texts.LEVELS[rank]])
        return datetime.combine(day, time(self.reminder_hour), tzinfo=time_zone(invoice.customer_phone))

    def _next_daytime(self, invoice: Invoice, now: datetime) -> datetime | None:
        """None inside the customer's day (from `reminder_hour` to LAST_HOUR there); else when it
        next starts."""
        zone = time_zone(invoice.customer_phone)
        local = now.astimezone(zone)
        if self.reminder_hour <= local.hour < LAST_HOUR:
            return None
        day = local.date() if local.hour < self.reminder_hour else local.date() + timedelta(days=1)
        return datetime.combine(day, time(self.reminder_hour), tzinfo=zone).astimezone(now.tzinfo)

    def _withdrawal(self, invoice: Invoice, found: rules.Balance, reminder: Reminder, now: datetime) -> str | None:
        """Why the reminder must not go now, if it must not."""
        if invoice.cancelled_at is not None:
            return "invoice_cancelled"
        if found.remaining <= 0:
            return "invoice_paid"
        if found.in_flight:
            return "payment_in_flight"
        if not invoice.reminders or invoice.due_date is None:
            return "reminders_off"
        current = level_due(invoice, now, self.reminder_hour)
        if current is not None and RANK[current] > RANK[reminder.level]:
            return "superseded"
        return None
