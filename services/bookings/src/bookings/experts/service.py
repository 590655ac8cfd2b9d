"""Experts: a profile and a rate per minute. A rate change applies to bookings made after it;
a booking keeps the price it was made with."""

from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound
from settle_kit.pagination import PageParams, paginate

from bookings.experts.models import Expert
from bookings.experts.repository import ExpertRepository
from bookings.experts.schemas import ExpertUpdate
from bookings.payout_accounts.repository import PayeeRepository


async def put_own_profile(uow: UnitOfWork, caller: Principal, data: ExpertUpdate) -> Expert:
    repository = ExpertRepository(uow.session)
    expert = await repository.get(caller.user_id, for_update=True)
    if expert is None:
        expert = Expert(id=caller.user_id)
        repository.add(expert)
    expert.display_name = data.display_name
    expert.rate_amount = data.rate_per_minute.amount
    expert.rate_currency = data.rate_per_minute.currency
    await uow.session.flush()
    return expert


async def search_experts(uow: UnitOfWork, text: str | None, params: PageParams) -> tuple[list[Expert], bool]:
    """Experts by name (a part of it, any case), newest first."""
    statement = ExpertRepository(uow.session).named_like(text)
    return await paginate(uow.session, statement, created_at=Expert.created_at, id_=Expert.id, params=params)


async def get_expert(uow: UnitOfWork, expert_id: str) -> Expert:
    expert = await ExpertRepository(uow.session).get(expert_id)
    if expert is None:
        raise NotFound("No such expert.", code="expert_not_found")
    return expert


async def payouts_enabled(uow: UnitOfWork, experts: list[Expert]) -> set[str]:
    """Which of `experts` can be paid now (their payout account, as any payee's)."""
    return await PayeeRepository(uow.session).enabled_among(e.id for e in experts)
