from typing import Annotated

from fastapi import APIRouter, Query, Request

from settle_kit import idempotency
from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.service import UoW

from bookings.deps import Billing, BookingSettings
from bookings.payouts import service
from bookings.payouts.schemas import PayoutRows, PayoutRunSummary, PayoutStatus

router = APIRouter(prefix="/v1/admin/payouts", tags=["payouts"])


@router.get("", response_model=PayoutRows)
async def list_payouts(
    uow: UoW,
    caller: Admin,
    status: Annotated[PayoutStatus | None, Query(description="pending (owed), paid, or void; default pending and paid")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many experts, 1-100")] = 20,
    starting_after: Annotated[str | None, Query(max_length=64, description="The last expert id of the previous page")] = None,
):
    statuses = (status,) if status else ("pending", "paid")
    rows, has_more = await service.rows(uow, statuses, limit, starting_after)
    return PayoutRows(data=rows, has_more=has_more)


@router.post("/run", response_model=PayoutRunSummary)
async def run_payouts(
    request: Request, uow: UoW, billing: Billing, settings: BookingSettings, caller: Admin,
    key: idempotency.IdempotencyKeyHeader = None,
):
    """Pay every earning not yet paid out (completed bookings, sales of paid messages) whose payee
    has payouts enabled: one Stripe transfer each (`transfer_group` = the earning's id). Running
    it again, or twice at once, pays nothing twice."""
    replayable = await idempotency.begin(uow, caller, key, "POST /v1/admin/payouts/run", None)
    if replayable.replay:
        return replayable.replay
    # The key's claim is committed first: no transaction is held while the run asks billing.
    await uow.commit()
    summary = await service.run(request.app.state.db, billing, settings.payout_claim)
    return await replayable.respond(200, summary)
