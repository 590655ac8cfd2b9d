"""Invoices, their payment links, the Checkout Sessions opened for those links, and reminders.

An invoice keeps no running total of what was paid: `paid` and `remaining` are worked out from its
own payments (billing's `payments` of purpose `invoice`, reference the invoice) and their refunds
whenever they are needed (invoices/balance.py). `status` is stored only as the last outcome of
that computation (for lists and filters); `overdue` is not stored: it is `pending`/`partial` past
`overdue_from` (the end of the due day in the customer's time zone).
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from billing.models import Base


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("issuer_id", "number", name="issuer_number"),
        CheckConstraint("total_amount > 0", name="total_positive"),
        Index("ix_invoices_issuer_created", "issuer_id", "created_at"),
        Index("ix_invoices_next_reminder", "next_reminder_at", postgresql_where=text("reminders AND status IN ('pending', 'partial')")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(String(64))
    issuer_name: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str] = mapped_column(String(100))
    customer_phone: Mapped[str] = mapped_column(String(20))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date | None]
    overdue_from: Mapped[datetime | None]
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reminders: Mapped[bool] = mapped_column(default=True)
    # When the reminder scheduler next looks at it (the start of the next level); None: never again.
    next_reminder_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class InvoiceCounter(Base):
    """The last number given to an issuer's invoice (`INV-0001` onward)."""

    __tablename__ = "invoice_counters"

    issuer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class PaymentLink(Base):
    """`status` open | paid | cancelled as stored; an open link past `expires_at` reads `expired`."""

    __tablename__ = "payment_links"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(10))
    percent: Mapped[int | None]
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]


class LinkSession(Base):
    """A Checkout Session opened for a visit of a link (`opening` until Stripe made it). The
    session's payment, once paid, has the id `payment_id` (fixed by the session)."""

    __tablename__ = "payment_link_sessions"
    __table_args__ = (UniqueConstraint("link_id", "seq", name="link_seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    link_id: Mapped[str] = mapped_column(ForeignKey("payment_links.id"), index=True)
    seq: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """One reminder level of one invoice, at most once (unique): `scheduled` when billing decided
    it, then `sent` (asked of notifications) or `withdrawn` (`withdrawn_reason`) when sending
    found the invoice paid, cancelled, a payment in flight, or a later level due."""

    __tablename__ = "invoice_reminders"
    __table_args__ = (
        UniqueConstraint("invoice_id", "level", name="invoice_level"),
        Index("ix_invoice_reminders_scheduled", "send_after", postgresql_where=text("status = 'scheduled'")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime]
    send_after: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    body: Mapped[str | None] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(40))
    sms_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    sms_status: Mapped[str | None] = mapped_column(String(12))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
