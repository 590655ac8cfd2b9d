from fastapi import APIRouter, status

from settle_kit.auth import CurrentPrincipal
from settle_kit.service import UoW

from bookings.deps import Billing
from bookings.payout_accounts import service
from bookings.payout_accounts.schemas import OpenedPayoutAccount, PayoutAccountOut

router = APIRouter(prefix="/v1/payout-accounts", tags=["payout accounts"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OpenedPayoutAccount)
async def open_payout_account(caller: CurrentPrincipal, uow: UoW, billing: Billing):
    """Open your Stripe Connect account (once) and get a link to onboard; call again for a new
    link. Anyone who earns (experts, sellers of paid messages) is paid into it; `payouts_enabled`
    turns true when Stripe has what it needs."""
    payee, url = await service.open_account(uow, billing, caller)
    await uow.commit()
    return OpenedPayoutAccount(account_id=payee.payout_account_id, payouts_enabled=payee.payouts_enabled, onboarding_url=url)


@router.get("/me", response_model=PayoutAccountOut)
async def get_my_payout_account(caller: CurrentPrincipal, uow: UoW):
    payee = await service.own_account(uow, caller)
    return PayoutAccountOut(account_id=payee.payout_account_id, payouts_enabled=payee.payouts_enabled)
