"""Asking for Stripe work to be done after the current transaction commits.

A consumer handler or a payment reaction must not call Stripe itself (it has no client, and a
Stripe outage would push its message to the dead-letter queue within a minute); it enqueues a
task in its own transaction instead, and the runner (the kit's work queue) does the call with
retries for as long as it takes. This process's runner is woken as soon as that transaction
commits; other replicas' runners find the task by polling.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert

from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow
from settle_kit.work_queue import DONE, PENDING, wake_after_commit

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
# Reconciliation: re-read an open payment's PaymentIntent (its webhook may have been lost).
RECONCILE_PAYMENT = "reconcile_payment"
# Close a Checkout Session nobody should pay any more (its invoice paid or cancelled); the
# task's id is the session's row (invoices' payment_link_sessions).
EXPIRE_LINK_SESSION = "expire_link_session"

# The name of the runner's queue (settle_kit.work_queue): what enqueuing wakes.
QUEUE = "stripe-tasks"


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
    again_when_done: bool = False,
) -> bool:
    """Returns whether the task is new (False: it was asked for before, nothing changes).
    `not_before`: not done before then (the request that decided it is still on it).
    `again_when_done`: a task of this id that is done is made pending again (work asked for
    repeatedly under one id, such as reconciling a payment); one pending, running or dead is
    left as it is."""
    statement = insert(StripeTask).values(
        id=id, kind=kind, requested_by=requested_by, payment_id=payment_id, transfer_id=transfer_id, amount=amount,
        status=PENDING, attempts=0, next_attempt_at=not_before or utcnow(),
    )
    if again_when_done:
        statement = statement.on_conflict_do_update(
            index_elements=[StripeTask.id],
            set_={"status": PENDING, "attempts": 0, "next_attempt_at": statement.excluded.next_attempt_at, "outcome": None, "done_at": None},
            where=StripeTask.status == DONE,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[StripeTask.id])
    created = await uow.session.scalar(statement.returning(StripeTask.id))
    if created is not None:
        wake_after_commit(uow, QUEUE)
    return created is not None
