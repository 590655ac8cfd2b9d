"""Settles payments whose webhook never came: a lost webhook costs minutes, not money.

Every `interval_s` a sweep finds the payments still `requires_payment` or `processing` after
`stale_after` and asks for each to be reconciled: a Stripe task (`reconcile_payment`, one per
payment, made pending again on each sweep once done), so it runs on the one work queue with its
back-off and dead status. The task re-reads the PaymentIntent from Stripe with no transaction
held, then moves the payment to what Stripe says in a short one, exactly as a webhook would have
(the state machine only moves forward, so a read that is stale by then changes nothing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import stable_id, utcnow
from settle_kit.work_loop import WorkLoop

from billing.payments import service, states
from billing.payments.repository import PaymentRepository
from billing.stripe_tasks import queue

if TYPE_CHECKING:
    from billing.stripe_tasks.models import StripeTask

log = logging.getLogger(__name__)


def reconcile_task_id(payment_id: str) -> str:
    return stable_id("rcn", "reconcile", payment_id)


async def sweep_once(db: Database, stale_after: timedelta, batch: int = 100) -> int:
    """Asks for up to `batch` stale payments to be reconciled, in one short transaction; returns
    how many were asked for (a payment whose reconciliation is still pending is not asked again)."""
    async with UnitOfWork(db, "billing") as uow:
        stale = await PaymentRepository(uow.session).stale_open_ids(states.OPEN, utcnow() - stale_after, batch)
        asked = 0
        for payment_id in stale:
            asked += await queue.enqueue(
                uow, id=reconcile_task_id(payment_id), kind=queue.RECONCILE_PAYMENT, requested_by="billing", payment_id=payment_id,
                again_when_done=True,
            )
        await uow.commit()
    if asked:
        log.info("reconciliation asked for payments to be re-read", extra={"asked": asked})
    return asked


async def reconcile_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    async with db.sessions() as session:
        payment = await PaymentRepository(session).get(task.payment_id)
    if payment is None or payment.status not in states.OPEN or payment.stripe_payment_intent_id is None:
        return "payment_" + (payment.status if payment is not None else "missing")
    intent = await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    async with UnitOfWork(db, "billing") as uow:
        payment = await PaymentRepository(uow.session).get(task.payment_id, for_update=True)
        changed = await service.sync_with_intent(uow, payment, intent)
        await uow.commit()
    return f"settled_{payment.status}" if changed else f"unchanged_{payment.status}"


async def run_reconciliation(db: Database, stale_after: timedelta, interval_s: float) -> None:
    async def sweep() -> int:
        await sweep_once(db, stale_after)
        return 0  # one sweep per interval: the tasks it asked for do the work

    await WorkLoop("reconciliation", sweep, interval_s).run()
