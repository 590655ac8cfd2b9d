"""Payouts: the one engine that pays payees their earnings through billing (Stripe Connect
transfers): experts' shares of completed bookings and sellers' shares of paid messages
(`sources.py` says where each keeps its payout state).

A payout run takes each eligible earning in three steps, none holding a transaction or a row
lock while billing works: it claims the earning for a while (`payout_claimed_until`, one
statement), asks billing for the transfer, and records billing's answer (one statement, only
while the earning is still pending). Two runs at once share the earnings between them, never
one earning. Billing keeps one transfer per reference and derives Stripe's idempotency key from
it, so a run that dies after billing answered, or whose call failed, pays once too: the next run
(once the claim has run out, or at once after a failure it saw) gets the same transfer back.
Once billing is unavailable, the rest of the run is left pending without asking.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, union, update

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import utcnow

from bookings.billing_client import BillingClient, BillingError, BillingUnavailable
from bookings.bookings import states
from bookings.payout_accounts.models import Payee
from bookings.payout_accounts.repository import PayeeRepository
from bookings.payouts.schemas import FailedPayout, PaidBooking, PayoutRow, PayoutRunSummary, PayoutSource
from bookings.payouts.sources import BOOKINGS, SOURCES, Source

log = logging.getLogger(__name__)


def _pending(source: Source, enabled: bool):
    """Pending earnings whose payee can (or cannot yet) receive payouts; a payee without an
    account (no `payees` row) cannot."""
    return (
        select(source.model.id)
        .outerjoin(Payee, Payee.user_id == source.payee)
        .where(source.model.payout_status == states.PAYOUT_PENDING, func.coalesce(Payee.payouts_enabled, False).is_(enabled))
    )


async def run(db: Database, billing: BillingClient, claim_for: timedelta) -> PayoutRunSummary:
    eligible: list[tuple[Source, str]] = []
    waiting = 0
    async with db.sessions() as session:
        for source in SOURCES:
            ids = await session.scalars(_pending(source, True).order_by(source.earned_at, source.model.id))
            eligible += [(source, i) for i in ids]
            waiting += await session.scalar(select(func.count()).select_from(_pending(source, False).subquery()))
    summary = PayoutRunSummary(paid=[], failed=[], waiting_for_payouts_enabled=waiting)
    unavailable: str | None = None
    for source, earning_id in eligible:
        row = await _claim(db, source, earning_id, claim_for)
        if row is None:
            continue  # paid meanwhile, or another run holds it right now
        payee, named = source.payee_of(row), PayoutSource(type=source.type, id=row.id)
        booking_id = row.id if source is BOOKINGS else None
        if unavailable is not None:
            summary.failed.append(FailedPayout(source=named, booking_id=booking_id, expert_id=payee, code="billing_unavailable", detail=unavailable))
            await _release(db, source, row.id)
            continue
        try:
            transfer = await billing.transfer_for(
                reference_type=source.reference_type, reference_id=row.id, payment_id=row.payment_id, payee_id=payee,
                amount=getattr(row, source.share.key), currency=row.currency, key=f"{source.type}-payout-{row.id}",
            )
        except (BillingError, BillingUnavailable) as exc:
            code = exc.code if isinstance(exc, BillingError) else "billing_unavailable"
            log.warning("payout failed", extra={"source": source.type, "id": row.id, "code": code})
            summary.failed.append(FailedPayout(source=named, booking_id=booking_id, expert_id=payee, code=code, detail=str(exc)[:300]))
            if isinstance(exc, BillingUnavailable):
                unavailable = "Billing was unavailable; left for the next run."
            await _release(db, source, row.id)
            continue
        paid = await _record(db, source, row.id, transfer)
        summary.paid.append(
            PaidBooking(
                source=named, payee_id=payee, booking_id=booking_id, expert_id=payee, amount=transfer["amount"], currency=row.currency,
                status=paid, transfer_id=transfer["id"],
            )
        )
    return summary


async def _claim(db: Database, source: Source, earning_id: str, claim_for: timedelta) -> Any | None:
    """The earning, claimed until `claim_for` from now, if it is still owed and nobody holds it."""
    now, model = utcnow(), source.model
    async with db.sessions() as session:
        row = await session.scalar(
            update(model)
            .where(
                model.id == earning_id, model.payout_status == states.PAYOUT_PENDING,
                or_(model.payout_claimed_until.is_(None), model.payout_claimed_until < now),
            )
            .values(payout_claimed_until=now + claim_for)
            .returning(model)
        )
        await session.commit()
        return row


async def _release(db: Database, source: Source, earning_id: str) -> None:
    """The call failed: the next run may try at once."""
    async with db.sessions() as session:
        await session.execute(update(source.model).where(source.model.id == earning_id).values(payout_claimed_until=None))
        await session.commit()


async def _record(db: Database, source: Source, earning_id: str, transfer: dict) -> str:
    """Billing's transfer, kept once: an earning already recorded (a run whose claim ran out raced
    this one to the same transfer) is left as it is."""
    status = states.PAYOUT_PAID if transfer["status"] == "paid" else states.PAYOUT_VOID
    model = source.model
    async with db.sessions() as session:
        await session.execute(
            update(model)
            .where(model.id == earning_id, model.payout_status == states.PAYOUT_PENDING)
            .values(
                payout_status=status, payout_amount=transfer["amount"], transfer_id=transfer["id"], paid_out_at=utcnow(),
                payout_reversed=func.greatest(model.payout_reversed, transfer["amount_reversed"]), payout_claimed_until=None,
            )
        )
        await session.commit()
    return status


async def rows(
    uow: UnitOfWork, statuses: tuple[str, ...], limit: int, starting_after: str | None
) -> tuple[list[PayoutRow], bool]:
    """Payouts grouped per payee, currency and status, over every kind of earning; pages of
    `limit` payees, by payee id."""
    payees = union(*(select(s.payee.label("payee_id")).where(s.model.payout_status.in_(statuses)) for s in SOURCES)).subquery()
    payees_query = select(payees.c.payee_id).order_by(payees.c.payee_id)
    if starting_after is not None:
        payees_query = payees_query.where(payees.c.payee_id > starting_after)
    payee_ids = list(await uow.session.scalars(payees_query.limit(limit + 1)))
    has_more, payee_ids = len(payee_ids) > limit, payee_ids[:limit]
    enabled = await PayeeRepository(uow.session).enabled_among(payee_ids)
    groups: dict[tuple[str, str, str], PayoutRow] = {}
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for source in SOURCES:
        found = await uow.session.scalars(
            select(source.model)
            .where(source.payee.in_(payee_ids), source.model.payout_status.in_(statuses))
            .order_by(source.earned_at, source.model.id)
        )
        for row in found:
            payee = source.payee_of(row)
            key = (payee, row.currency, row.payout_status)
            group = groups.setdefault(
                key,
                PayoutRow(payee_id=payee, expert_id=payee, sources=[], booking_ids=[], amount=0, currency=row.currency,
                          status=row.payout_status, payouts_enabled=payee in enabled),
            )
            group.sources.append(PayoutSource(type=source.type, id=row.id))
            if source is BOOKINGS:
                group.booking_ids.append(row.id)
            totals[key] += source.still_owed(row) if row.payout_status == states.PAYOUT_PENDING else row.payout_amount or 0
            group.amount_reversed += row.payout_reversed
    for key, group in groups.items():
        group.amount = totals[key]
    return sorted(groups.values(), key=lambda r: (r.payee_id, r.currency, r.status)), has_more


