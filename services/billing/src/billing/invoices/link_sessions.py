"""Checkout Sessions of an invoice that nobody should pay any more (the invoice is paid or
cancelled) are expired at Stripe, by the Stripe task queue after the deciding transaction
commits; the task's id is the session's row."""

from __future__ import annotations

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database

from billing.checkout import sessions
from billing.invoices.repository import InvoiceRepository
from billing.stripe_tasks import queue
from billing.stripe_tasks.models import StripeTask


async def close_sessions(uow: UnitOfWork, invoice_id: str) -> None:
    """Asks for the invoice's open Checkout Sessions to be expired at Stripe (after this
    transaction commits): once it is paid or cancelled, a page left open must not take money.
    One paid meanwhile anyway is refunded as an excess."""
    for link in (await InvoiceRepository(uow.session).links_of([invoice_id]))[invoice_id]:
        await close_link_sessions(uow, link.id)


async def close_link_sessions(uow: UnitOfWork, link_id: str) -> None:
    """The same for one link (paid: it takes no second payment)."""
    for visit in await InvoiceRepository(uow.session).sessions_of(link_id):
        if visit.status == "open":
            await queue.enqueue(uow, id=visit.id, kind=queue.EXPIRE_LINK_SESSION, requested_by="billing")


async def expire_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    async with UnitOfWork(db, "billing") as uow:
        visit = await InvoiceRepository(uow.session).link_session(task.id)
        await uow.commit()
        if visit is None or visit.status != "open" or visit.stripe_session_id is None:
            return "not_open"
        expired = await sessions.expire_session(client, visit.stripe_session_id)
        # Its `checkout.session.expired` (or `completed`, had it been paid meanwhile) records the rest.
        return "expired" if expired is not None else "no_longer_open"
