"""Processes stored Stripe events in batches (one transaction each), with back-off on failure.

Where order matters the handler does not trust the event's copy of the object: it re-reads the
PaymentIntent from Stripe and moves the payment to what Stripe says now. Duplicated, late and
reordered events therefore converge on the same state, and the state machine only moves forward.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import stripe
from sqlalchemy import select

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database, Statement
from settle_kit.models import utcnow
from settle_kit.work_loop import WorkLoop

from billing.connect import accounts
from billing.payments import service
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository
from billing.webhooks.models import StripeEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FINAL_INTENT_STATUSES = ("succeeded", "canceled")


# A plain read, in one round trip (no transaction around it): the rows are locked when processed.
_DUE = Statement(
    "SELECT id FROM stripe_events WHERE processed_at IS NULL AND next_attempt_at <= :now AND attempts < :attempts "
    "ORDER BY received_at LIMIT :limit"
)


class StripeEventProcessor:
    """One loop per process: it picks due events and processes them in up to `concurrency`
    transactions at once, each holding its events' row locks (SKIP LOCKED keeps replicas apart)."""

    def __init__(
        self, db: Database, client: stripe.StripeClient, *, concurrency: int = 8, batch: int = 20, poll_interval_s: float = 2.0,
        pace_s: float = 0.05,
    ) -> None:
        self.db = db
        self.client = client
        self.concurrency = concurrency
        self.batch = batch
        self._loop = WorkLoop("stripe-events", self.process_due, poll_interval_s, pace_s=pace_s)

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run()

    async def process_due(self) -> int:
        """Processes the events due now, oldest first; returns how many it took.

        Each transaction covers up to `batch` events, and up to `concurrency` of them run at once
        (events that re-read Stripe wait on it): a burst of webhooks costs one commit per batch
        rather than one per event. Full batches first: a few events due are one transaction, not
        one each, which is what a steady stream of webhooks (and the loop's pacing) yields."""
        async with self.db.autocommit() as conn:
            due = [row["id"] for row in await _DUE.fetch(conn, now=utcnow(), attempts=MAX_ATTEMPTS, limit=self.concurrency * self.batch)]
        chunks = [due[i : i + self.batch] for i in range(0, len(due), self.batch)]
        return sum(await asyncio.gather(*(self.process(chunk) for chunk in chunks)))

    async def process(self, event_ids: list[str]) -> int:
        """Processes the given stored events unless another worker holds them or already did them:
        all in one transaction, and if one of them fails, all again, each in a savepoint of its own
        so that it fails alone (a savepoint per event costs two round trips, which most batches
        never need)."""
        try:
            return await self._process(event_ids, isolated=False)
        except Exception:
            return await self._process(event_ids, isolated=True)

    async def _process(self, event_ids: list[str], *, isolated: bool) -> int:
        async with UnitOfWork(self.db, "billing") as uow:
            rows = list(
                await uow.session.scalars(
                    select(StripeEvent)
                    .where(StripeEvent.id.in_(event_ids), StripeEvent.processed_at.is_(None))
                    .order_by(StripeEvent.received_at)
                    .with_for_update(skip_locked=True)
                )
            )
            # The batch's payments in one query, rather than one query (and one flush) per event.
            # Not when isolated: a savepoint rolled back expires what it changed, and each event
            # then loads its payment afresh.
            payments = {} if isolated else await PaymentRepository(uow.session).by_intents(
                [intent for row in rows if (intent := _intent_of(row.type, row.payload)) is not None]
            )
            for row in rows:
                if not isolated:
                    await self.handle(uow, row.type, row.payload, payments)
                    row.processed_at = utcnow()
                    continue
                try:
                    async with uow.savepoint():
                        await self.handle(uow, row.type, row.payload)
                except Exception as exc:
                    row.attempts += 1
                    row.last_error = repr(exc)[:1000]
                    row.next_attempt_at = utcnow() + timedelta(seconds=min(2**row.attempts, 600))
                    log.warning("stripe event failed", extra={"stripe_event": row.id, "attempts": row.attempts}, exc_info=True)
                else:
                    row.processed_at = utcnow()
            await uow.commit()
            return len(rows)

    async def handle(self, uow: UnitOfWork, event_type: str, payload: dict, payments: dict[str, Payment] | None = None) -> None:
        """`payments`: those already loaded (and locked) by PaymentIntent id."""
        obj = _object_of(payload)
        intent_id = _intent_of(event_type, payload)
        if event_type.startswith("payment_intent."):
            final = obj if obj.get("status") in FINAL_INTENT_STATUSES else None
            await self._sync_intent(uow, intent_id, payments, final=final)
        elif event_type.startswith("refund."):
            await self._sync_intent(uow, intent_id, payments, refund_id=obj.get("id"))
        elif event_type == "charge.refunded":
            await self._sync_intent(uow, intent_id, payments)
        elif event_type == "account.updated":
            await accounts.sync_account(uow, self.client, obj.get("id"))
        # Other types are stored for the record; nothing here depends on them yet.

    async def _sync_intent(
        self, uow: UnitOfWork, intent_id: str | None, payments: dict[str, Payment] | None,
        refund_id: str | None = None, final: dict | None = None,
    ) -> None:
        if not intent_id:
            return
        payment = (payments or {}).get(intent_id) or await PaymentRepository(uow.session).by_intent(intent_id)
        if payment is None:
            return  # not ours (another integration on the same Stripe account)
        if final is not None:
            # A PaymentIntent never leaves `succeeded` or `canceled`, so a signed event that shows
            # one there is the truth whatever order events come in: no need to ask Stripe again.
            intent = stripe.PaymentIntent.construct_from({k: final[k] for k in service.INTENT_FIELDS if k in final}, None)
        else:
            intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        await service.sync_with_intent(uow, payment, intent)
        if refund_id:
            await service.sync_refund(uow, payment, await self.client.v1.refunds.retrieve_async(refund_id))


def _object_of(payload: dict) -> dict:
    return payload.get("data", {}).get("object", {})


def _intent_of(event_type: str, payload: dict) -> str | None:
    """The PaymentIntent an event is about, if any."""
    obj = _object_of(payload)
    if event_type.startswith("payment_intent."):
        return obj.get("id")
    if event_type.startswith("refund.") or event_type == "charge.refunded":
        return obj.get("payment_intent")
    return None
