"""Settles payments whose webhook never came: a lost webhook costs minutes, not money.

Payments still `requires_payment` or `processing` after `stale_after` are re-read from Stripe
and moved to what Stripe says, exactly as a webhook would have.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import stripe

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import utcnow

from billing.payments import service, states
from billing.payments.repository import PaymentRepository

log = logging.getLogger(__name__)


async def reconcile_once(db: Database, client: stripe.StripeClient, stale_after: timedelta, batch: int = 100) -> int:
    """Settles up to `batch` stale payments, each in its own short transaction, so one Stripe
    call that fails (or is slow) neither undoes nor holds up the others."""
    async with db.sessions() as session:
        stale = await PaymentRepository(session).stale_open_ids(states.OPEN, utcnow() - stale_after, batch)
    changed = 0
    for payment_id in stale:
        try:
            changed += await _settle(db, client, payment_id)
        except Exception:
            log.warning("reconciliation of a payment failed", extra={"payment_id": payment_id}, exc_info=True)
    if changed:
        log.info("reconciliation settled payments", extra={"settled": changed})
    return changed


async def _settle(db: Database, client: stripe.StripeClient, payment_id: str) -> bool:
    async with UnitOfWork(db, "billing") as uow:
        # SKIP LOCKED: a webhook being processed for this payment right now wins.
        payment = await PaymentRepository(uow.session).get(payment_id, for_update=True, skip_locked=True)
        if payment is None or payment.status not in states.OPEN:
            return False
        intent = await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
        changed = await service.sync_with_intent(uow, payment, intent)
        await uow.commit()
        return changed


async def run_reconciliation(db: Database, client: stripe.StripeClient, stale_after: timedelta, interval_s: float) -> None:
    while True:
        try:
            await reconcile_once(db, client, stale_after)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reconciliation failed")
        await asyncio.sleep(interval_s)
