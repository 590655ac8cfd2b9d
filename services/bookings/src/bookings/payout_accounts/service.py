"""A payee's payout account is a Stripe Connect Express account that billing opens (bookings
never calls Stripe). Anyone who earns has one: experts for their bookings, sellers of paid
messages for their sales. Bookings keeps a copy of its state (`payees`) from billing's answers
and events, which the payout engine and the experts' listing read."""

from datetime import datetime

from settle_contracts.billing import PayoutAccountUpdated
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import BadGateway, NotFound, ServiceUnavailable

from bookings.billing_client import BillingClient, BillingError, BillingUnavailable
from bookings.payout_accounts.models import Payee
from bookings.payout_accounts.repository import PayeeRepository


async def open_account(uow: UnitOfWork, billing: BillingClient, caller: Principal) -> tuple[Payee, str]:
    """The caller's account (opened on the first call) and a fresh onboarding link."""
    try:
        opened = await billing.open_payout_account(caller.user_id)
    except BillingUnavailable as exc:
        raise ServiceUnavailable(
            "Payouts are unavailable just now; try again.", code="billing_unavailable", retry_after_s=exc.retry_after_s
        ) from None
    except BillingError:
        raise BadGateway("Billing could not open the payout account.", code="billing_error") from None
    payees = PayeeRepository(uow.session)
    await payees.record(
        caller.user_id, account_id=opened["account_id"], payouts_enabled=opened["payouts_enabled"],
        as_of=datetime.fromisoformat(opened["updated_at"]),
    )
    return await payees.get(caller.user_id), opened["onboarding_url"]


async def own_account(uow: UnitOfWork, caller: Principal) -> Payee:
    payee = await PayeeRepository(uow.session).get(caller.user_id)
    if payee is None:
        raise NotFound("You have no payout account yet.", code="payout_account_not_found")
    return payee


async def on_payout_account_updated(event: PayoutAccountUpdated, uow: UnitOfWork) -> None:
    await PayeeRepository(uow.session).record(
        event.user_id, account_id=event.account_id, payouts_enabled=event.payouts_enabled, as_of=event.updated_at
    )
