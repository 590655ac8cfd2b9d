"""Processes stored Stripe events on the kit's work queue: in batches, with no Stripe call while a
transaction or connection is held, with back-off on failure, and `dead` (listed for an operator,
retried by hand) when an event keeps failing.

Where order matters the handler does not trust the event's copy of the object: it re-reads the
PaymentIntent from Stripe and moves the payment to what Stripe says now. Duplicated, late and
reordered events therefore converge on the same state, and the state machine only moves forward.
Those reads happen before the batch's transaction, with no connection held; the transaction then
applies what they found (a read that is stale by the time it is applied changes nothing, as a
late event would not). A PaymentIntent shown `succeeded` or `canceled` is final and taken from
the signed event itself, so most events need no Stripe call at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import stripe
from sqlalchemy import select

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.work_queue import ALREADY_DONE, Backoff, Outcome, WorkQueue

from billing.checkout import events as checkout
from billing.connect import accounts
from billing.payments import service
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository
from billing.webhooks.models import StripeEvent

log = logging.getLogger(__name__)

QUEUE = "stripe-events"
# With the back-off capped at 10 minutes: about 3 hours of retries, then the event is `dead`.
MAX_ATTEMPTS = 25
FINAL_INTENT_STATUSES = ("succeeded", "canceled")


@dataclass
class Fetched:
    """What Stripe says now about the objects one event is about (read outside any transaction)."""

    intent: stripe.PaymentIntent | None = None
    refund: stripe.Refund | None = None
    # `charge.refunded` names no refund: every refund of the PaymentIntent, each recorded once.
    refunds: list[stripe.Refund] = field(default_factory=list)
    account: stripe.Account | None = None
    error: Exception | None = None
    # False: the event is about a PaymentIntent that is not ours (nothing to read or apply).
    ours: bool = field(default=True)


class StripeEventProcessor:
    """The queue of stored events: up to `concurrency` batches of up to `batch` events at once,
    paced (`pace_s`) so that a steady stream of webhooks makes full batches, one transaction each."""

    def __init__(
        self, db: Database, client: stripe.StripeClient, *, concurrency: int = 8, batch: int = 20, poll_interval_s: float = 2.0,
        pace_s: float = 0.05, max_attempts: int = MAX_ATTEMPTS, lease_s: float = 30.0,
    ) -> None:
        self.db = db
        self.client = client
        # Reads from Stripe in flight at once, whatever the number of batches.
        self._stripe_calls = asyncio.Semaphore(2 * concurrency)
        self.queue = WorkQueue(
            QUEUE, db, StripeEvent, handle_batch=self.process, batch=batch, concurrency=concurrency,
            poll_interval_s=poll_interval_s, pace_s=pace_s, max_attempts=max_attempts, backoff=Backoff(base_s=2, cap_s=600), lease_s=lease_s,
            order_by="received_at", done_at="processed_at",
        )

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        await self.queue.run()

    async def process_due(self) -> int:
        return await self.queue.process_due()

    async def process(self, events: list[StripeEvent]) -> Mapping[str, Outcome | BaseException]:
        """Processes claimed events (oldest first). Those that need nothing from Stripe are applied
        at once; those that do are read from Stripe first, with no connection held, and applied
        after, so a slow Stripe never delays the others. Each group is one transaction, with its
        payments loaded and locked in one query."""
        plain = [event for event in events if not _needs_stripe(event.type, event.payload)]
        reads = [event for event in events if _needs_stripe(event.type, event.payload)]
        parts = await asyncio.gather(self._apply_batch(plain, {}), self._fetch_and_apply(reads))
        return {**parts[0], **parts[1]}

    async def _fetch_and_apply(self, events: list[StripeEvent]) -> Mapping[str, Outcome | BaseException]:
        return await self._apply_batch(events, await self._fetch(events)) if events else {}

    async def _apply_batch(self, events: list[StripeEvent], fetched: dict[str, Fetched]) -> Mapping[str, Outcome | BaseException]:
        """All in one transaction; if one event fails, all again, each in a savepoint of its own so
        that it fails alone (a savepoint per event costs two round trips, which most batches never
        need)."""
        if not events:
            return {}
        try:
            return await self._apply(events, fetched, isolated=False)
        except Exception:
            return await self._apply(events, fetched, isolated=True)

    async def _apply(self, events: list[StripeEvent], fetched: dict[str, Fetched], *, isolated: bool) -> dict[str, Outcome | BaseException]:
        results: dict[str, Outcome | BaseException] = {}
        async with UnitOfWork(self.db, "billing") as uow:
            # The batch's payments in one query, rather than one query (and one flush) per event.
            # Not when isolated: a savepoint rolled back expires what it changed, and each event
            # then loads its payment afresh.
            payments = {} if isolated else await PaymentRepository(uow.session).by_intents(
                [intent for event in events if (intent := _intent_of(event.type, event.payload)) is not None]
            )
            for event in events:
                found = fetched.get(event.id, Fetched())
                if found.error is not None:
                    results[event.id] = found.error  # retried later; the others go on
                    continue
                if not isolated:
                    await self.handle(uow, event.type, event.payload, found, payments)
                    results[event.id] = None
                    continue
                try:
                    async with uow.savepoint():
                        await self.handle(uow, event.type, event.payload, found)
                except Exception as exc:
                    results[event.id] = exc
                else:
                    results[event.id] = None
            # Done in the same transaction as their effects: nothing to record after it.
            done = [event for event in events if results[event.id] is None]
            await self.queue.mark_done(uow.session, done)
            await uow.commit()
        return {**results, **{event.id: ALREADY_DONE for event in done}}

    async def handle(
        self, uow: UnitOfWork, event_type: str, payload: dict, fetched: Fetched, payments: dict[str, Payment] | None = None
    ) -> None:
        """Applies one event with what was read from Stripe for it. `payments`: those already
        loaded (and locked) by PaymentIntent id."""
        if event_type == "account.updated":
            if fetched.account is not None:
                await accounts.apply_account(uow, fetched.account)
            return
        if checkout.is_checkout_event(event_type):
            # A session's signed event is final about it: nothing to read from Stripe first.
            await checkout.apply(uow, event_type, _object_of(payload))
            return
        intent_id = _intent_of(event_type, payload)
        if intent_id is None or not fetched.ours:
            return  # other types are stored for the record; nothing here depends on them yet
        payment = (payments or {}).get(intent_id) or await PaymentRepository(uow.session).by_intent(intent_id)
        if payment is None:
            return  # not ours (another integration on the same Stripe account)
        intent = fetched.intent or _final_intent(event_type, payload)
        if intent is None:
            raise RuntimeError(f"the PaymentIntent {intent_id} was not read from Stripe")
        await service.sync_with_intent(uow, payment, intent)
        for refund in ([fetched.refund] if fetched.refund is not None else []) + fetched.refunds:
            await service.sync_refund(uow, payment, refund)

    async def _fetch(self, events: list[StripeEvent]) -> dict[str, Fetched]:
        """Reads from Stripe, concurrently and with no connection held, what the events need:
        the PaymentIntent unless the event shows it final, the refund of a refund event, the
        account of an `account.updated`."""
        intents = {_intent_of(event.type, event.payload) for event in events} - {None}
        ours = await self._our_intents(intents) if intents else set()

        async def fetch(event: StripeEvent) -> Fetched:
            obj = _object_of(event.payload)
            try:
                async with self._stripe_calls:
                    return await read(event, obj)
            except Exception as exc:
                return Fetched(error=exc)

        async def read(event: StripeEvent, obj: dict) -> Fetched:
            if event.type == "account.updated":
                return Fetched(account=await accounts.fetch_account(self.client, obj.get("id")))
            intent_id = _intent_of(event.type, event.payload)
            if intent_id not in ours:
                return Fetched(ours=False)
            intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
            refund, refunds = None, []
            if event.type.startswith("refund.") and obj.get("id"):
                refund = await self.client.v1.refunds.retrieve_async(obj["id"])
            elif event.type == "charge.refunded":
                # A refund made in Stripe's dashboard may come as this alone (older API versions
                # send no refund.created).
                refunds = (await self.client.v1.refunds.list_async(params={"payment_intent": intent_id, "limit": 100})).data
            return Fetched(intent=intent, refund=refund, refunds=refunds)


        return {event.id: found for event, found in zip(events, await asyncio.gather(*(fetch(e) for e in events)), strict=True)}

    async def _our_intents(self, intent_ids: set[str]) -> set[str]:
        """Which of these PaymentIntents are ours (a plain read, no lock: the batch's transaction
        locks the payments)."""
        async with self.db.sessions() as session:
            return set(await session.scalars(select(Payment.stripe_payment_intent_id).where(Payment.stripe_payment_intent_id.in_(intent_ids))))


def _needs_stripe(event_type: str, payload: dict) -> bool:
    if event_type == "account.updated":
        return True
    if _intent_of(event_type, payload) is None:
        return False
    return _final_intent(event_type, payload) is None


def _final_intent(event_type: str, payload: dict) -> stripe.PaymentIntent | None:
    """A PaymentIntent never leaves `succeeded` or `canceled`, so a signed event that shows one
    there is the truth whatever order events come in: no need to ask Stripe again."""
    obj = _object_of(payload)
    if not event_type.startswith("payment_intent.") or obj.get("status") not in FINAL_INTENT_STATUSES:
        return None
    return stripe.PaymentIntent.construct_from({k: obj[k] for k in service.INTENT_FIELDS if k in obj}, None)


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
