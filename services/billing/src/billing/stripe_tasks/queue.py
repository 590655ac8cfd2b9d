"""Asking for Stripe work to be done after the current transaction commits.

A consumer handler or a payment reaction must not call Stripe itself (it has no client, and a
Stripe outage would push its message to the dead-letter queue within a minute); it enqueues a
task in its own transaction instead, and the runner does the call with retries for as long as
it takes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert

from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow

from billing.stripe_tasks.models import StripeTask

REFUND_PAYMENT = "refund_payment"
CANCEL_PAYMENT = "cancel_payment"
REVERSE_TRANSFER = "reverse_transfer"
# Work a request decided and began itself; the task finishes it if the request could not (Stripe
# unreachable, the process died): create a payment's PaymentIntent, send a pending refund, make a
# pending transfer.
OPEN_PAYMENT_INTENT = "open_payment_intent"
SEND_REFUND = "send_refund"
MAKE_TRANSFER = "make_transfer"


async def enqueue(
    uow: UnitOfWork,
    *,
    id: str,
    kind: str,
    requested_by: str,
    payment_id: str | None = None,
    transfer_id: str | None = None,
    amount: int | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Returns whether the task is new (False: it was asked for before, nothing changes).
    `not_before`: not done before then (the request that decided it is still on it)."""
    created = await uow.session.scalar(
        insert(StripeTask)
        .values(
            id=id, kind=kind, requested_by=requested_by, payment_id=payment_id, transfer_id=transfer_id, amount=amount,
            status="pending", attempts=0, next_attempt_at=not_before or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[StripeTask.id])
        .returning(StripeTask.id)
    )
    return created is not None
