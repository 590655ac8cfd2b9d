from typing import Annotated

from fastapi import APIRouter, Query

from settle_kit.auth import CurrentPrincipal
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from bookings.experts import service
from bookings.experts.schemas import ExpertOut, ExpertUpdate

router = APIRouter(prefix="/v1/experts", tags=["experts"])


@router.put("/me", response_model=ExpertOut)
async def put_my_profile(body: ExpertUpdate, caller: CurrentPrincipal, uow: UoW):
    """Become an expert, or change your profile; `rate_per_minute.amount` 0 means free sessions."""
    expert = await service.put_own_profile(uow, caller, body)
    await uow.commit()
    return ExpertOut.of(expert, await service.payouts_enabled(uow, [expert]))


@router.get("", response_model=Page[ExpertOut])
async def search_experts(
    caller: CurrentPrincipal,
    uow: UoW,
    page: Pagination,
    q: Annotated[str | None, Query(max_length=100, description="A part of the display name, any case")] = None,
):
    """Experts, newest first; `q` keeps those whose name contains it."""
    experts, has_more = await service.search_experts(uow, q, page)
    enabled = await service.payouts_enabled(uow, experts)
    return Page(data=[ExpertOut.of(e, enabled) for e in experts], has_more=has_more)


@router.get("/{expert_id}", response_model=ExpertOut)
async def get_expert(expert_id: str, caller: CurrentPrincipal, uow: UoW):
    expert = await service.get_expert(uow, expert_id)
    return ExpertOut.of(expert, await service.payouts_enabled(uow, [expert]))
