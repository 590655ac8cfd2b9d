"""Asking for Stripe work to be done after the current transaction commits.

A consumer handler or a payment reaction must not call Stripe itself (it has no client, and a
Stripe outage would push its message to the dead-letter queue within a minute); it enqueues a
task in its own transaction instead, and the runner does the call with retries for as long as
it takes.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from settle_kit.bus.uow import UnitOfWork

from billing.stripe_tasks.models import StripeTask

REFUND_PAYMENT = "refund_payment"
CANCEL_PAYMENT = "cancel_payment"
REVERSE_TRANSFER = "reverse_transfer"


async def enqueue(
    uow: UnitOfWork,
    *,
    id: str,
    kind: str,
    requested_by: str,
    payment_id: str | None = None,
    transfer_id: str | None = None,
    amount: int | None = None,
) -> bool:
    """Returns whether the task is new (False: it was asked for before, nothing changes)."""
    created = await uow.session.scalar(
        insert(StripeTask)
        .values(
            id=id, kind=kind, requested_by=requested_by, payment_id=payment_id, transfer_id=transfer_id, amount=amount,
            status="pending", attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[StripeTask.id])
        .returning(StripeTask.id)
    )
    return created is not None
