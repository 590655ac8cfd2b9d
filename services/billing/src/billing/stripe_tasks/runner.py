"""Does the queued Stripe work on the kit's work queue (settle_kit.work_queue).

A task is claimed in a short transaction and committed; its kind's function then runs with no
transaction or connection held: it decides from the current state in a short transaction of its
own, calls Stripe, and records what Stripe did in another. A task that already took effect (or
was made pointless by something else meanwhile) therefore finishes without a second effect, and
one run twice (its worker died, its claim ran out) is harmless: Stripe's idempotency keys derive
from the task. A failing task backs off for about a day, then is `dead`: an operator lists it
(`GET /v1/admin/stripe-tasks?status=failed`) and retries it by hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import stripe

from settle_kit.db import Database
from settle_kit.work_queue import Backoff, WorkQueue

from billing.booking_payments import service as booking_payments
from billing.connect import transfers
from billing.invoices import link_sessions
from billing.payments import reconciliation
from billing.payments import service as payments
from billing.stripe_tasks import queue
from billing.stripe_tasks.models import StripeTask

# About a day of retries at the longest back-off; then the task waits for a person (`dead`).
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
    queue.RECONCILE_PAYMENT: reconciliation.reconcile_for_task,
    queue.EXPIRE_LINK_SESSION: link_sessions.expire_for_task,
}


class StripeTaskRunner:
    def __init__(
        self, db: Database, client: stripe.StripeClient, *, poll_interval_s: float = 1.0, batch: int = 20, concurrency: int = 4,
        max_attempts: int = MAX_ATTEMPTS, lease_s: float = 60.0,
    ) -> None:
        self.db = db
        self.client = client
        self.queue = WorkQueue(
            queue.QUEUE, db, StripeTask, handle=self.do, batch=batch, concurrency=concurrency, poll_interval_s=poll_interval_s,
            max_attempts=max_attempts, backoff=Backoff(base_s=2, cap_s=MAX_BACKOFF_S), order_by="created_at", lease_s=lease_s,
        )

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        await self.queue.run()

    async def process_due(self) -> int:
        return await self.queue.process_due()

    async def do(self, task: StripeTask) -> str:
        return await KINDS[task.kind](self.db, self.client, task)
