"""An expert's payout account is a Stripe Connect Express account that billing opens (bookings
never calls Stripe). Bookings keeps a copy of its state from billing's answers and events."""

from datetime import datetime

from settle_contracts.billing import PayoutAccountUpdated
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import BadGateway, Forbidden, NotFound, ServiceUnavailable

from bookings.billing_client import BillingClient, BillingError, BillingUnavailable
from bookings.experts import service as experts
from bookings.experts.models import Expert
from bookings.experts.repository import ExpertRepository


async def _own_expert(uow: UnitOfWork, caller: Principal, *, for_update: bool = False) -> Expert:
    expert = await ExpertRepository(uow.session).get(caller.user_id, for_update=for_update)
    if expert is None:
        raise Forbidden("Only experts have payout accounts: create your expert profile first.", code="not_an_expert")
    return expert


async def open_account(uow: UnitOfWork, billing: BillingClient, caller: Principal) -> tuple[Expert, str]:
    """The expert's account (opened on the first call) and a fresh onboarding link."""
    await _own_expert(uow, caller)
    await uow.rollback()  # only read so far: no transaction is held while billing works
    try:
        opened = await billing.open_payout_account(caller.user_id)
    except BillingUnavailable as exc:
        raise ServiceUnavailable(
            "Payouts are unavailable just now; try again.", code="billing_unavailable", retry_after_s=exc.retry_after_s
        ) from None
    except BillingError:
        raise BadGateway("Billing could not open the payout account.", code="billing_error") from None
    expert = await _own_expert(uow, caller, for_update=True)
    await experts.record_payout_account(
        uow, expert, account_id=opened["account_id"], payouts_enabled=opened["payouts_enabled"],
        as_of=datetime.fromisoformat(opened["updated_at"]),
    )
    return expert, opened["onboarding_url"]


async def own_account(uow: UnitOfWork, caller: Principal) -> Expert:
    expert = await _own_expert(uow, caller)
    if expert.payout_account_id is None:
        raise NotFound("You have no payout account yet.", code="payout_account_not_found")
    return expert


async def on_payout_account_updated(event: PayoutAccountUpdated, uow: UnitOfWork) -> None:
    expert = await ExpertRepository(uow.session).get(event.user_id, for_update=True)
    if expert is not None:
        await experts.record_payout_account(
            uow, expert, account_id=event.account_id, payouts_enabled=event.payouts_enabled, as_of=event.updated_at
        )
