"""Invoices and their links: creating, reading, texting, cancelling and refunding them.

No call to Stripe (or anything outside) is made here inside a transaction: links are ours alone
until a customer opens one (invoices/pay.py opens the Checkout Session then), texts are events
for notifications in the outbox, and refunds are decided here, committed, then sent.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError

from settle_contracts.notifications import SmsRequested
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Conflict, NotFound, Unprocessable
from settle_kit.models import new_id, stable_id
from settle_kit.money import format_money
from settle_kit.phones import NotTextable, textable_e164, time_zone

from billing.invoices import balance as rules
from billing.invoices import link_sessions, texts
from billing.invoices.models import Invoice, PaymentLink
from billing.invoices.repository import InvoiceRepository
from billing.invoices.schemas import InvoiceCreate, LinkCreate
from billing.payments import service as payments
from billing.payments import states
from billing.payments.models import Refund
from billing.payments.repository import PaymentRepository

# Payers of invoice payments are customers, not users: a value no user id can take (user ids
# have no colon), so no user ever sees them as their own payments.
CUSTOMER_PREFIX = "customer:"
# The reference of an invoice's payments (billing.checkout) and of the texts about it (notifications).
INVOICE_REFERENCE = "invoice"
REMINDER_REFERENCE = "invoice_reminder"


@dataclass(frozen=True)
class Urls:
    """Where customers reach billing's public pages (the gateway)."""

    public_url: str

    def pay(self, code: str) -> str:
        return f"{self.public_url.rstrip('/')}/pay/{code}"


def customer_payer(invoice_id: str) -> str:
    return f"{CUSTOMER_PREFIX}{invoice_id}"


def _start_of(day: date | None, phone: str) -> datetime | None:
    """Midnight starting `day` on the customer's calendar."""
    return None if day is None else datetime.combine(day, time(0), tzinfo=time_zone(phone))


def overdue_from(due: date | None, phone: str) -> datetime | None:
    """The end of the due day on the customer's calendar."""
    return None if due is None else _start_of(due + timedelta(days=1), phone)


async def create(uow: UnitOfWork, issuer: Principal, data: InvoiceCreate, invoice_id: str, *, now: datetime, allow_test_numbers: bool) -> Invoice:
    repository = InvoiceRepository(uow.session)
    existing = await repository.get(invoice_id)
    if existing is not None:
        return existing
    try:
        phone = textable_e164(data.customer.phone, allow_test_numbers=allow_test_numbers)
    except NotTextable as exc:
        raise Unprocessable(str(exc), code="phone_not_textable", field="customer.phone") from None
    payments.check_chargeable(data.total.amount, data.total.currency, field="total.amount")
    if data.number is not None:
        number = data.number
        if await repository.number_taken(issuer.user_id, number):
            raise Conflict(f"You already have an invoice numbered {number}.", code="invoice_number_taken")
    else:
        number = await _next_free_number(repository, issuer.user_id)
    invoice = Invoice(
        id=invoice_id, issuer_id=issuer.user_id, issuer_name=data.issuer_name, number=number, customer_name=data.customer.name,
        customer_phone=phone, customer_email=data.customer.email, description=data.description, total_amount=data.total.amount,
        currency=data.total.currency, due_date=data.due_date, overdue_from=overdue_from(data.due_date, phone), job_id=data.job_id,
        reminders=data.reminders, status="pending", created_at=now, updated_at=now,
        # The scheduler first looks at the start of the due day on the customer's calendar.
        next_reminder_at=_start_of(data.due_date, phone),
    )
    repository.add(invoice)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError:
        raise Conflict(f"You already have an invoice numbered {number}.", code="invoice_number_taken") from None
    return invoice


async def _next_free_number(repository: InvoiceRepository, issuer_id: str) -> str:
    """INV-0001 onward; a number the issuer already gave by hand is skipped."""
    while True:
        number = f"INV-{await repository.next_number(issuer_id):04d}"
        if not await repository.number_taken(issuer_id, number):
            return number


async def visible(uow: UnitOfWork, caller: Principal, invoice_id: str, *, for_update: bool = False) -> Invoice:
    """The invoice if the caller issued it (or is an admin); 404 for anyone else."""
    invoice = await InvoiceRepository(uow.session).get(invoice_id, for_update=for_update)
    if invoice is None or not (caller.is_admin or caller.user_id == invoice.issuer_id):
        raise NotFound("No such invoice.", code="invoice_not_found")
    return invoice


async def own(uow: UnitOfWork, caller: Principal, invoice_id: str, *, for_update: bool = False) -> Invoice:
    """The invoice if the caller issued it: changes are the issuer's alone (404 for anyone else)."""
    invoice = await visible(uow, caller, invoice_id, for_update=for_update)
    if invoice.issuer_id != caller.user_id:
        raise NotFound("No such invoice.", code="invoice_not_found")
    return invoice


async def balance_of(uow: UnitOfWork, invoice: Invoice) -> rules.Balance:
    found = await InvoiceRepository(uow.session).payments(invoice.id)
    return rules.balance(invoice.total_amount, ((p.status, p.amount, p.amount_refunded) for p in found))


def _money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def link_status(link: PaymentLink, now: datetime) -> str:
    if link.status == "open" and now >= link.expires_at:
        return "expired"
    return link.status


def link_view(link: PaymentLink, urls: Urls, now: datetime) -> dict:
    return {
        "id": link.id, "invoice_id": link.invoice_id, "type": link.type, "amount": _money(link.amount, link.currency),
        "url": urls.pay(link.code), "status": link_status(link, now), "expires_at": link.expires_at, "created_at": link.created_at,
        "sent_at": link.sent_at, "opened_at": link.opened_at, "paid_at": link.paid_at,
    }


async def views(uow: UnitOfWork, invoices: list[Invoice], urls: Urls, now: datetime) -> list[dict]:
    repository = InvoiceRepository(uow.session)
    ids = [invoice.id for invoice in invoices]
    found_payments = await repository.payments_of(ids)
    found_links = await repository.links_of(ids)
    out = []
    for invoice in invoices:
        found = rules.balance(invoice.total_amount, ((p.status, p.amount, p.amount_refunded) for p in found_payments[invoice.id]))
        stored = rules.stored_status(found, cancelled=invoice.cancelled_at is not None)
        out.append({
            "id": invoice.id, "number": invoice.number, "issuer_id": invoice.issuer_id,
            "customer": {"name": invoice.customer_name, "phone": invoice.customer_phone, "email": invoice.customer_email},
            "description": invoice.description, "total": _money(invoice.total_amount, invoice.currency),
            "paid": _money(found.paid, invoice.currency), "remaining": _money(found.remaining, invoice.currency),
            "status": rules.status(stored, invoice.overdue_from, now), "due_date": invoice.due_date, "job_id": invoice.job_id,
            "reminders": invoice.reminders, "links": [link_view(link, urls, now) for link in found_links[invoice.id]],
            "created_at": invoice.created_at, "paid_at": invoice.paid_at, "cancelled_at": invoice.cancelled_at,
        })
    return out


async def view(uow: UnitOfWork, invoice: Invoice, urls: Urls, now: datetime) -> dict:
    return (await views(uow, [invoice], urls, now))[0]


def _closed(invoice: Invoice, found: rules.Balance) -> None:
    if invoice.cancelled_at is not None:
        raise Conflict("This invoice is cancelled.", code="invoice_cancelled")
    if found.remaining <= 0:
        raise Conflict("This invoice is paid.", code="invoice_paid")


async def create_link(uow: UnitOfWork, issuer: Principal, invoice_id: str, data: LinkCreate, link_id: str, *, now: datetime) -> PaymentLink:
    repository = InvoiceRepository(uow.session)
    existing = await repository.link(link_id)
    if existing is not None:
        return existing
    invoice = await own(uow, issuer, invoice_id, for_update=True)
    found = await balance_of(uow, invoice)
    _closed(invoice, found)
    if data.type == "deposit":
        percent = data.percent or 50
        amount, field = rules.deposit(invoice.total_amount, percent), "percent"
    elif data.type == "progress":
        amount, field = data.amount, "amount"
    elif data.type == "final":
        amount, field = found.remaining, "type"
    else:
        if found.paid > 0 or found.in_flight:
            raise Conflict("A full link is only for an invoice nothing was paid on; send a final link for what remains.", code="invoice_partly_paid")
        amount, field = invoice.total_amount, "type"
    if amount > found.remaining:
        raise Unprocessable(
            f"Only {format_money(found.remaining, invoice.currency)} remains to be paid on this invoice.", code="amount_exceeds_remaining",
            field=field,
        )
    payments.check_chargeable(amount, invoice.currency, field=field)
    link = new_link(invoice, data.type, amount, now=now, expires_in_days=data.expires_in_days, link_id=link_id)
    link.percent = data.percent or 50 if data.type == "deposit" else None
    repository.add(link)
    await uow.session.flush()
    return link


def new_link(invoice: Invoice, type_: str, amount: int, *, now: datetime, expires_in_days: int = 30, link_id: str | None = None) -> PaymentLink:
    return PaymentLink(
        id=link_id or new_id("plink"), invoice_id=invoice.id, code=secrets.token_urlsafe(12), type=type_, amount=amount,
        currency=invoice.currency, status="open", expires_at=now + timedelta(days=expires_in_days), created_at=now,
    )


async def link_for_remaining(
    uow: UnitOfWork, invoice: Invoice, found: rules.Balance, now: datetime, links: list[PaymentLink] | None = None,
) -> PaymentLink:
    """An open link for exactly what remains, or a new one (`final` once something is paid, else
    `full`). `links`: the invoice's, when the caller has them."""
    if links is None:
        links = (await InvoiceRepository(uow.session).links_of([invoice.id]))[invoice.id]
    for link in reversed(links):
        if link_status(link, now) == "open" and link.amount == found.remaining and link.expires_at > now + timedelta(days=1):
            return link
    link = new_link(invoice, "final" if found.paid > 0 else "full", found.remaining, now=now)
    InvoiceRepository(uow.session).add(link)
    links.append(link)
    return link


async def send(uow: UnitOfWork, issuer: Principal, invoice_id: str, link_id: str | None, urls: Urls, *, now: datetime) -> tuple[str, PaymentLink]:
    """Texts the customer a link: the one named, or one for what remains."""
    invoice = await own(uow, issuer, invoice_id, for_update=True)
    found = await balance_of(uow, invoice)
    _closed(invoice, found)
    if link_id is not None:
        link = await InvoiceRepository(uow.session).link(link_id, for_update=True)
        if link is None or link.invoice_id != invoice.id:
            raise Unprocessable("No such link on this invoice.", code="link_not_found", field="link_id")
        if (state := link_status(link, now)) != "open":
            raise Conflict(f"This link is {state}.", code="link_not_open")
    else:
        link = await link_for_remaining(uow, invoice, found, now)
    envelope = uow.emit(SmsRequested(
        to_phone=invoice.customer_phone, body=texts.link_sent(link.amount, link.currency, urls.pay(link.code)), kind="notice",
        requested_by=invoice.issuer_id, reference_type=INVOICE_REFERENCE, reference_id=invoice.id,
    ))
    link.sent_at = now
    await uow.session.flush()
    return SmsRequested.sms_id(envelope.id), link


async def cancel(uow: UnitOfWork, issuer: Principal, invoice_id: str, *, now: datetime) -> Invoice:
    """Open links stop working; 409 once anything is paid (or a payment is on its way)."""
    invoice = await own(uow, issuer, invoice_id, for_update=True)
    if invoice.cancelled_at is not None:
        return invoice
    found = await balance_of(uow, invoice)
    if found.received > 0 or found.in_flight:
        raise Conflict("Something was paid on this invoice: refund it instead.", code="invoice_not_cancelable")
    invoice.cancelled_at = now
    invoice.status = "cancelled"
    invoice.updated_at = now
    for link in (await InvoiceRepository(uow.session).links_of([invoice.id]))[invoice.id]:
        if link.status == "open":
            link.status = "cancelled"
    for reminder in await InvoiceRepository(uow.session).scheduled_reminders(invoice.id):
        reminder.status, reminder.withdrawn_reason = "withdrawn", "invoice_cancelled"
    await link_sessions.close_sessions(uow, invoice.id)
    await uow.session.flush()
    return invoice


async def decide_refunds(uow: UnitOfWork, caller: Principal, invoice_id: str, amount: int | None, key_id: str) -> tuple[Invoice, list[Refund]]:
    """Reserves `amount` (default: all that is paid) across the invoice's payments, newest first,
    as pending refunds (committed by the caller, then sent). The same `key_id` finds them again.
    The payments are locked, not the invoice: a Stripe event locks a payment, then its invoice,
    and this must not wait on them the other way round."""
    invoice = await visible(uow, caller, invoice_id)
    repository = InvoiceRepository(uow.session)
    paid = sorted(
        (p for p in await repository.payments(invoice.id, for_update=True) if p.status in states.REFUNDABLE),
        key=lambda p: p.succeeded_at or p.created_at, reverse=True,
    )
    decided = [r for p in paid if (r := await uow.session.get(Refund, stable_id("re", key_id, p.id))) is not None]
    if decided:
        return invoice, decided
    refundable = {p.id: p.amount - p.amount_refunded - await _reserved(uow, p.id) for p in paid}
    available = sum(refundable.values())
    if available <= 0:
        raise Conflict("Nothing paid on this invoice is left to refund.", code="nothing_to_refund")
    wanted = available if amount is None else amount
    if wanted > available:
        raise Unprocessable(f"Only {format_money(available, invoice.currency)} is left to refund.", code="refund_exceeds_paid", field="amount")
    refunds = []
    for payment in paid:
        share = min(wanted, refundable[payment.id])
        if share <= 0:
            continue
        refunds.append(await payments.decide_refund(uow, None, payment, share, stable_id("re", key_id, payment.id), requested_by=caller.user_id))
        wanted -= share
        if wanted == 0:
            break
    return invoice, refunds


async def _reserved(uow: UnitOfWork, payment_id: str) -> int:
    return int(await PaymentRepository(uow.session).reserved_for_refunds(payment_id))


async def revenue(uow: UnitOfWork, issuer: Principal, job_id: str) -> dict:
    """Per currency, from the issuer's invoices for the job."""
    repository = InvoiceRepository(uow.session)
    invoices = await repository.job_invoices(issuer.user_id, job_id)
    found_payments = await repository.payments_of([i.id for i in invoices])
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for invoice in invoices:
        found = rules.balance(invoice.total_amount, ((p.status, p.amount, p.amount_refunded) for p in found_payments[invoice.id]))
        row = sums[invoice.currency]
        row["collected"] += found.received
        row["refunded"] += found.refunded
        if invoice.cancelled_at is None:
            row["invoiced"] += invoice.total_amount
            row["outstanding"] += found.remaining
    out = {"job_id": job_id}
    for name in ("invoiced", "collected", "refunded", "outstanding"):
        out[name] = [_money(row[name], currency) for currency, row in sorted(sums.items())]
    return out

