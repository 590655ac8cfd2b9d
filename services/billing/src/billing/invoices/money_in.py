"""What follows when an invoice's payment moves (the `invoice` checkout purpose, registered at the
composition root): runs in the transaction that moved the payment, with the invoice locked, so
two payments landing at once are counted one after the other.

A payment beyond what remains (two links paid at once, or a link paid after the invoice was
cancelled) has its excess refunded at once, and the issuer is told. Every payment texts the
customer a confirmation and the issuer a note; a refund (asked for here, on the payment, or made
in Stripe's dashboard) gives back `remaining`, and `refunded` once all of it is refunded.
"""

from __future__ import annotations

from typing import Any

from settle_contracts.notifications import SmsRequested
from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import stable_id, utcnow

from billing.checkout.purposes import CheckoutPurpose
from billing.invoices import balance as rules
from billing.invoices import link_sessions
from billing.invoices import texts
from billing.invoices.models import Invoice
from billing.invoices.repository import InvoiceRepository
from billing.invoices.service import INVOICE_REFERENCE, balance_of
from billing.payments import service as payments
from billing.payments import states
from billing.payments.models import Payment
from billing.stripe_tasks import queue

ISSUER_FALLBACK_NAME = "Settle"


async def on_payment_moved(uow: UnitOfWork, payment: Payment, target: str, **extra: Any) -> None:
    if payment.reference_type != INVOICE_REFERENCE or payment.reference_id is None:
        return
    repository = InvoiceRepository(uow.session)
    invoice = await repository.get(payment.reference_id, for_update=True)
    if invoice is None:
        return
    if target == states.SUCCEEDED:
        await _received(uow, invoice, payment)
    found = await balance_of(uow, invoice)
    invoice.status = rules.stored_status(found, cancelled=invoice.cancelled_at is not None)
    invoice.updated_at = utcnow()
    if invoice.status == "paid":
        invoice.paid_at = invoice.paid_at or payment.succeeded_at or utcnow()
        await _close_open_ends(repository, invoice)
        await link_sessions.close_sessions(uow, invoice.id)
    elif found.remaining > 0:
        invoice.paid_at = None
    await uow.session.flush()


async def _received(uow: UnitOfWork, invoice: Invoice, payment: Payment) -> None:
    repository = InvoiceRepository(uow.session)
    link_session = await repository.session_by_payment(payment.id)
    paid_twice = False
    if link_session is not None:
        link_session.status = "complete"
        link = await repository.link(link_session.link_id, for_update=True)
        # A link takes one payment: another of its sessions paid as well (two tabs) is given back.
        paid_twice = link.status == "paid"
        if not paid_twice:
            link.status, link.paid_at = "paid", payment.succeeded_at
            await link_sessions.close_link_sessions(uow, link.id)
    found = await balance_of(uow, invoice)
    limit = 0 if invoice.cancelled_at is not None else invoice.total_amount
    excess = min(found.net - await repository.reserved_for_refunds(invoice.id) - limit, payment.amount - payment.amount_refunded)
    if paid_twice:
        excess = payment.amount - payment.amount_refunded
    issuer_name = invoice.issuer_name or ISSUER_FALLBACK_NAME
    kept = payment.amount - max(excess, 0)
    if kept > 0:
        _text_customer(uow, invoice, texts.payment_received(kept, payment.currency, issuer_name))
        _text_issuer(uow, invoice, texts.issuer_payment_received(kept, payment.currency, invoice.customer_name))
    if excess > 0:
        await _refund_excess(uow, payment, excess)
        _text_customer(uow, invoice, texts.excess_refunded_to_customer(excess, payment.currency, issuer_name))
        told = texts.issuer_link_paid_twice if paid_twice else texts.issuer_excess_refunded
        _text_issuer(uow, invoice, told(excess, payment.currency, invoice.customer_name, invoice.number))


async def _refund_excess(uow: UnitOfWork, payment: Payment, excess: int) -> None:
    """Decided now (the payment is locked by the caller) and sent by the Stripe task queue at once."""
    refund_id = stable_id("re", "invoice-excess", payment.id)
    refund = await payments.decide_refund(uow, None, payment, excess, refund_id, requested_by="billing", background=False)
    await queue.enqueue(uow, id=refund.id, kind=queue.SEND_REFUND, requested_by="billing", payment_id=payment.id, amount=excess)


async def _close_open_ends(repository: InvoiceRepository, invoice: Invoice) -> None:
    """Paid: the other links stop working, and no reminder waiting to go will."""
    for link in (await repository.links_of([invoice.id]))[invoice.id]:
        if link.status == "open":
            link.status = "cancelled"
    for reminder in await repository.scheduled_reminders(invoice.id):
        reminder.status, reminder.withdrawn_reason = "withdrawn", "invoice_paid"


def _text_customer(uow: UnitOfWork, invoice: Invoice, body: str) -> None:
    uow.emit(SmsRequested(
        to_phone=invoice.customer_phone, body=body, kind="confirmation", requested_by=invoice.issuer_id, reference_type=INVOICE_REFERENCE,
        reference_id=invoice.id,
    ))


def _text_issuer(uow: UnitOfWork, invoice: Invoice, body: str) -> None:
    # To the issuer's registered phone; notifications suppresses it when they registered none.
    uow.emit(SmsRequested(
        to_user_id=invoice.issuer_id, body=body, kind="confirmation", requested_by=invoice.issuer_id, reference_type=INVOICE_REFERENCE,
        reference_id=invoice.id,
    ))


async def on_session_expired(uow: UnitOfWork, session: dict[str, Any]) -> None:
    """That session only: its link stays usable (a visit opens a new session)."""
    found = await InvoiceRepository(uow.session).session_by_stripe_id(session["id"])
    if found is not None and found.status in ("opening", "open"):
        found.status = "expired"
        await uow.session.flush()


CHECKOUT_PURPOSE = CheckoutPurpose(on_payment_moved=on_payment_moved, on_session_expired=on_session_expired)
