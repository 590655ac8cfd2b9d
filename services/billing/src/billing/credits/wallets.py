"""Spending credits and correcting wallets; reading a balance."""

from __future__ import annotations

from settle_contracts import billing as events
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Conflict

from billing.credits import ledger
from billing.credits.schemas import AdjustmentCreate, DebitCreate


async def debit(uow: UnitOfWork, caller: Principal, data: DebitCreate) -> ledger.Movement:
    """Idempotent on (reference_type, reference_id) as well as on the request's key: the same
    reference debited again returns the first debit; with another user or amount it is a 409."""
    movement = await ledger.post(
        uow.session,
        type="debit",
        user_id=data.user_id,
        amount=-data.amount,
        counter_account=ledger.SPENT,
        description=data.description,
        created_by=caller.user_id,
        reference_type=data.reference_type,
        reference_id=data.reference_id,
    )
    if movement is None:
        first = await ledger.existing(uow.session, "debit", data.reference_type, data.reference_id)
        if first is None or first.user_id != data.user_id or first.amount != -data.amount:
            raise Conflict("This reference was already debited with another user or amount.", code="debit_reference_conflict")
        return first
    uow.emit(events.CreditsDebited(**ledger.event_fields(movement)))
    return movement


async def adjust(uow: UnitOfWork, admin: Principal, data: AdjustmentCreate) -> ledger.Movement:
    movement = await ledger.post(
        uow.session,
        type="adjustment",
        user_id=data.user_id,
        amount=data.amount,
        counter_account=ledger.ADJUSTMENTS,
        description=data.description,
        created_by=admin.user_id,
    )
    assert movement is not None  # adjustments carry no reference, so they never collide
    uow.emit(events.CreditsAdjusted(**ledger.event_fields(movement)))
    return movement
