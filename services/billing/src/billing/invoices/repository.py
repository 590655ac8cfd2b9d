from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices.models import Invoice, LinkSession, PaymentLink, Reminder
from billing.payments.models import Payment, Refund

# The next number of an issuer's invoices, in one statement (concurrent creations get different ones).
_NEXT_NUMBER = text(
    "INSERT INTO invoice_counters (issuer_id, last) VALUES (:issuer_id, 1) "
    "ON CONFLICT (issuer_id) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last"
)


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entity: object) -> None:
        self.session.add(entity)

    async def get(self, invoice_id: str, *, for_update: bool = False, skip_locked: bool = False) -> Invoice | None:
        lock = {"skip_locked": True} if skip_locked else for_update
        return await self.session.get(Invoice, invoice_id, with_for_update=lock, populate_existing=bool(lock))

    async def next_number(self, issuer_id: str) -> int:
        return await self.session.scalar(_NEXT_NUMBER, {"issuer_id": issuer_id})

    async def number_taken(self, issuer_id: str, number: str) -> bool:
        return bool(await self.session.scalar(select(exists().where(Invoice.issuer_id == issuer_id, Invoice.number == number))))

    def listing(self, issuer_id: str | None) -> Select:
        query = select(Invoice)
        return query if issuer_id is None else query.where(Invoice.issuer_id == issuer_id)

    async def payments(self, invoice_id: str, *, for_update: bool = False) -> list[Payment]:
        query = select(Payment).where(Payment.purpose == "invoice", Payment.reference_id == invoice_id)
        if for_update:  # in one order (id), as Stripe events lock payments
            query = query.order_by(Payment.id).with_for_update().execution_options(populate_existing=True)
        return list(await self.session.scalars(query))

    async def payments_of(self, invoice_ids: list[str]) -> dict[str, list[Payment]]:
        found: dict[str, list[Payment]] = {i: [] for i in invoice_ids}
        if invoice_ids:
            for payment in await self.session.scalars(
                select(Payment).where(Payment.purpose == "invoice", Payment.reference_id.in_(invoice_ids))
            ):
                found[payment.reference_id].append(payment)
        return found

    async def reserved_for_refunds(self, invoice_id: str) -> int:
        """Refunds of the invoice's payments decided but not yet taken by Stripe."""
        return int(await self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.purpose == "invoice", Payment.reference_id == invoice_id, Refund.stripe_refund_id.is_(None), Refund.status == "pending")
        ))

    async def links_of(self, invoice_ids: list[str]) -> dict[str, list[PaymentLink]]:
        found: dict[str, list[PaymentLink]] = {i: [] for i in invoice_ids}
        if invoice_ids:
            query = select(PaymentLink).where(PaymentLink.invoice_id.in_(invoice_ids)).order_by(PaymentLink.created_at, PaymentLink.id)
            for link in await self.session.scalars(query):
                found[link.invoice_id].append(link)
        return found

    async def link(self, link_id: str, *, for_update: bool = False) -> PaymentLink | None:
        return await self.session.get(PaymentLink, link_id, with_for_update=for_update, populate_existing=for_update)

    async def link_by_code(self, code: str) -> PaymentLink | None:
        return await self.session.scalar(select(PaymentLink).where(PaymentLink.code == code))

    async def sessions_of(self, link_id: str) -> list[LinkSession]:
        return list(await self.session.scalars(select(LinkSession).where(LinkSession.link_id == link_id).order_by(LinkSession.seq)))

    async def link_session(self, session_id: str, *, for_update: bool = False) -> LinkSession | None:
        return await self.session.get(LinkSession, session_id, with_for_update=for_update, populate_existing=for_update)

    async def session_by_stripe_id(self, stripe_session_id: str) -> LinkSession | None:
        return await self.session.scalar(select(LinkSession).where(LinkSession.stripe_session_id == stripe_session_id))

    async def session_by_payment(self, payment_id: str) -> LinkSession | None:
        return await self.session.scalar(select(LinkSession).where(LinkSession.payment_id == payment_id))

    async def reminders(self, invoice_id: str) -> list[Reminder]:
        return list(await self.session.scalars(select(Reminder).where(Reminder.invoice_id == invoice_id).order_by(Reminder.decided_at)))

    async def reminder_by_sms(self, sms_id: str, *, for_update: bool = True) -> Reminder | None:
        query = select(Reminder).where(Reminder.sms_id == sms_id)
        return await self.session.scalar(query.with_for_update() if for_update else query)

    async def due_for_reminders(self, now: datetime, limit: int) -> list[Invoice]:
        """Unpaid invoices with reminders on whose next level may have started; locked, skipping
        those another scheduler holds."""
        query = (
            select(Invoice)
            .where(Invoice.reminders, Invoice.status.in_(("pending", "partial")), Invoice.next_reminder_at <= now)
            .order_by(Invoice.next_reminder_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(query))

    async def invoices_with_reminders_due(self, now: datetime, limit: int) -> list[str]:
        """Invoices with a scheduled reminder due to go (read without a lock: the caller locks
        each invoice first, then its reminders, the order every writer of reminders keeps)."""
        query = (
            select(Reminder.invoice_id)
            .where(Reminder.status == "scheduled", Reminder.send_after <= now)
            .group_by(Reminder.invoice_id)
            .order_by(func.min(Reminder.send_after))
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def lock_invoices(self, invoice_ids: list[str]) -> list[Invoice]:
        """Locked in one order (id), skipping those another transaction holds."""
        if not invoice_ids:
            return []
        query = select(Invoice).where(Invoice.id.in_(invoice_ids)).order_by(Invoice.id).with_for_update(skip_locked=True)
        return list(await self.session.scalars(query.execution_options(populate_existing=True)))

    async def reminders_due(self, invoice_ids: list[str], now: datetime) -> list[Reminder]:
        if not invoice_ids:
            return []
        query = (
            select(Reminder)
            .where(Reminder.invoice_id.in_(invoice_ids), Reminder.status == "scheduled", Reminder.send_after <= now)
            .order_by(Reminder.invoice_id, Reminder.send_after)
            .with_for_update()
        )
        return list(await self.session.scalars(query))

    async def reminders_of(self, invoice_ids: list[str]) -> dict[str, list[Reminder]]:
        found: dict[str, list[Reminder]] = {i: [] for i in invoice_ids}
        if invoice_ids:
            for reminder in await self.session.scalars(select(Reminder).where(Reminder.invoice_id.in_(invoice_ids))):
                found[reminder.invoice_id].append(reminder)
        return found

    async def scheduled_reminders(self, invoice_id: str) -> list[Reminder]:
        return list(await self.session.scalars(
            select(Reminder).where(Reminder.invoice_id == invoice_id, Reminder.status == "scheduled").with_for_update()
        ))

    async def job_invoices(self, issuer_id: str, job_id: str) -> list[Invoice]:
        return list(await self.session.scalars(select(Invoice).where(Invoice.issuer_id == issuer_id, Invoice.job_id == job_id)))
