"""Internal API for bookings (role `service`; the gateway does not route `/internal`)."""

from fastapi import APIRouter, Request, status

from settle_kit import idempotency
from settle_kit.errors import NotFound
from settle_kit.service import UoW

from billing.connect import accounts, transfers
from billing.connect.repository import ConnectRepository
from billing.connect.schemas import OpenedPayoutAccount, PayoutAccountOpen, PayoutAccountOut, TransferCreate, TransferOut
from billing.deps import ServiceCaller, Stripe

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post("/payout-accounts", status_code=status.HTTP_201_CREATED, response_model=OpenedPayoutAccount)
async def open_payout_account(
    body: PayoutAccountOpen, request: Request, uow: UoW, client: Stripe, caller: ServiceCaller
):
    # Idempotent without a key: the account is made once per user, and the link must be fresh.
    settings = request.app.state.settings
    account, url = await accounts.open_account(
        uow, client, body.user_id, return_url=settings.connect_return_url, refresh_url=settings.connect_refresh_url
    )
    return OpenedPayoutAccount(**PayoutAccountOut.model_validate(account).model_dump(), onboarding_url=url)


@router.get("/payout-accounts/{user_id}", response_model=PayoutAccountOut)
async def get_payout_account(user_id: str, uow: UoW, caller: ServiceCaller):
    account = await ConnectRepository(uow.session).account(user_id)
    if account is None or account.stripe_account_id is None:
        raise NotFound("No payout account for this user.", code="payout_account_not_found")
    return account


@router.post("/transfers", status_code=status.HTTP_201_CREATED, response_model=TransferOut)
async def create_transfer(
    body: TransferCreate,
    uow: UoW,
    client: Stripe,
    caller: ServiceCaller,
    key: idempotency.IdempotencyKeyHeader = None,
):
    request = await idempotency.begin(uow, caller, key, "POST /internal/transfers", body)
    if request.replay:
        return request.replay
    out = TransferOut.model_validate(await transfers.transfer(uow, client, body))
    return await request.respond(status.HTTP_201_CREATED, out)
