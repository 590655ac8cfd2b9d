"""Does the queued Stripe work: one task per transaction, retried with back-off until it is done.

Each task kind is a function `(uow, client, task) -> outcome` that holds the locks it needs and
decides from the current state, so a task that already took effect (or was made pointless by
something else meanwhile) finishes without a second effect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import stripe
from sqlalchemy import select

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.work_loop import WorkLoop
from settle_kit.models import utcnow

from billing.booking_payments import service as booking_payments
from billing.connect import transfers
from billing.payments import service as payments
from billing.stripe_tasks import queue
from billing.stripe_tasks.models import StripeTask

log = logging.getLogger(__name__)

# About a day of retries at the longest back-off; then the task waits for a person (status `failed`).
MAX_ATTEMPTS = 150
MAX_BACKOFF_S = 600

# A kind's work does its own short transactions and calls Stripe between them, never inside one.
Work = Callable[[Database, stripe.StripeClient, StripeTask], Awaitable[str]]

KINDS: dict[str, Work] = {
    queue.REFUND_PAYMENT: booking_payments.refund_for_task,
    queue.CANCEL_PAYMENT: booking_payments.cancel_for_task,
    queue.REVERSE_TRANSFER: transfers.reverse_for_task,
    queue.OPEN_PAYMENT_INTENT: payments.open_intent_for_task,
    queue.SEND_REFUND: payments.send_refund_for_task,
    queue.MAKE_TRANSFER: transfers.send_for_task,
}


class StripeTaskRunner:
    def __init__(self, db: Database, client: stripe.StripeClient, *, poll_interval_s: float = 1.0, batch: int = 20) -> None:
        self.db = db
        self.client = client
        self.batch = batch
        self._loop = WorkLoop("stripe-tasks", self.process_due, poll_interval_s)

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run()

    async def process_due(self) -> int:
        async with self.db.sessions() as session:
            due = list(
                await session.scalars(
                    select(StripeTask.id)
                    .where(StripeTask.status == "pending", StripeTask.next_attempt_at <= utcnow())
                    .order_by(StripeTask.created_at)
                    .limit(self.batch)
                )
            )
        done = 0
        for task_id in due:
            done += await self.process(task_id)
        return done

    async def process(self, task_id: str) -> bool:
        async with UnitOfWork(self.db, "billing") as uow:
            task = await uow.session.scalar(
                select(StripeTask).where(StripeTask.id == task_id, StripeTask.status == "pending").with_for_update(skip_locked=True)
            )
            if task is None:
                return False  # another replica has it, or it is done
            try:
                async with uow.savepoint():
                    outcome = await KINDS[task.kind](self.db, self.client, task)
            except Exception as exc:
                task.attempts += 1
                task.last_error = repr(exc)[:1000]
                task.next_attempt_at = utcnow() + timedelta(seconds=min(2**task.attempts, MAX_BACKOFF_S))
                if task.attempts >= MAX_ATTEMPTS:
                    task.status = "failed"
                    log.error("stripe task gave up", extra={"task_id": task.id, "kind": task.kind})
                else:
                    log.warning("stripe task failed", extra={"task_id": task.id, "kind": task.kind, "attempts": task.attempts}, exc_info=True)
            else:
                task.status, task.outcome, task.done_at = "done", outcome, utcnow()
            await uow.commit()
            return True
