from fastapi import APIRouter

from settle_kit.auth import CurrentPrincipal
from settle_kit.service import UoW

from bookings.experts import service
from bookings.experts.schemas import ExpertOut, ExpertUpdate

router = APIRouter(prefix="/v1/experts", tags=["experts"])


@router.put("/me", response_model=ExpertOut)
async def put_my_profile(body: ExpertUpdate, caller: CurrentPrincipal, uow: UoW):
    """Become an expert, or change your profile; `rate_per_minute.amount` 0 means free sessions."""
    expert = await service.put_own_profile(uow, caller, body)
    await uow.commit()
    return ExpertOut.of(expert)


@router.get("/{expert_id}", response_model=ExpertOut)
async def get_expert(expert_id: str, caller: CurrentPrincipal, uow: UoW):
    return ExpertOut.of(await service.get_expert(uow, expert_id))
