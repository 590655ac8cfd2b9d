"""`/pay/{code}`: the customer opens a link; a Checkout Session is opened for that visit.

The visit is decided and committed first (`opened_at`, a session row `opening` with its sequence
number), Stripe is asked for the session with a key fixed by that row (a retry gets the same
session), and the session is recorded in a second short transaction. An open session of the
link that Stripe still accepts for a while is reused. A session that expires ends only itself:
the next visit opens another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import stable_id, utcnow

from billing.checkout import events as checkout_events
from billing.checkout import sessions
from billing.invoices.models import LinkSession
from billing.invoices.repository import InvoiceRepository
from billing.invoices.service import INVOICE_REFERENCE, Urls, balance_of, customer_payer, link_status

PURPOSE = "invoice"
# A session is reused while Stripe keeps it open at least this long.
REUSE_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Visit:
    redirect_to: str | None = None
    gone: str | None = None  # paid | cancelled | expired
    missing: bool = False


async def open_link(db: Database, client: stripe.StripeClient, code: str, urls: Urls, *, now: datetime) -> Visit:
    async with UnitOfWork(db, "billing") as uow:
        repository = InvoiceRepository(uow.session)
        link = await repository.link_by_code(code)
        if link is None:
            return Visit(missing=True)
        link = await repository.link(link.id, for_update=True)
        invoice = await repository.get(link.invoice_id)
        found = await balance_of(uow, invoice)
        state = link_status(link, now)
        if invoice.cancelled_at is not None or state == "cancelled":
            gone = "cancelled"
        elif state == "paid" or found.remaining <= 0:
            gone = "paid"
        elif state == "expired":
            gone = "expired"
        else:
            gone = None
        if gone is not None:
            await uow.commit()
            return Visit(gone=gone)
        link.opened_at = link.opened_at or now
        # Never more than remains (another link may have been paid since this one was made).
        amount = min(link.amount, found.remaining)
        visits = await repository.sessions_of(link.id)
        for earlier in reversed(visits):
            if earlier.status == "open" and earlier.amount == amount and earlier.url and earlier.expires_at > utcnow() + REUSE_MARGIN:
                await uow.commit()
                return Visit(redirect_to=earlier.url)
        seq = len(visits) + 1
        visit = LinkSession(id=stable_id("pls", link.id, str(seq)), link_id=link.id, seq=seq, amount=amount, status="opening")
        repository.add(visit)
        description = f"Invoice {invoice.number}: {invoice.description}"
        # Stripe keeps a session open 30 minutes to 24 hours (by Stripe's clock, not ours).
        lifetime = min(max((link.expires_at - now).total_seconds(), sessions.MIN_LIFETIME_S), sessions.MAX_LIFETIME_S)
        await uow.commit()
        session = await sessions.open_session(
            client, purpose=PURPOSE, reference_type=INVOICE_REFERENCE, reference_id=invoice.id, payer_id=customer_payer(invoice.id),
            payee_id=invoice.issuer_id, amount=amount, currency=invoice.currency, description=description,
            idempotency_key=f"settle-{visit.id}", expires_at=utcnow() + timedelta(seconds=lifetime),
            success_url=f"{urls.pay(code)}/thanks", cancel_url=urls.pay(code),
            extra_metadata={"link_id": link.id, "description": description[:450]},
        )
        visit = await InvoiceRepository(uow.session).link_session(visit.id, for_update=True)
        visit.stripe_session_id, visit.url, visit.status = session.id, session.url, "open"
        visit.expires_at = datetime.fromtimestamp(session.expires_at, tz=now.tzinfo)
        visit.payment_id = checkout_events.payment_id_for(session.id)
        await uow.commit()
        return Visit(redirect_to=session.url)

