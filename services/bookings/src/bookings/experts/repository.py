from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.experts.models import Expert


class ExpertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, expert: Expert) -> None:
        self.session.add(expert)

    async def get(self, expert_id: str, *, for_update: bool = False) -> Expert | None:
        return await self.session.get(Expert, expert_id, with_for_update=for_update)

    def named_like(self, text: str | None) -> Select:
        """Experts whose display name contains `text` (any case); every expert without it."""
        statement = select(Expert)
        if text:
            statement = statement.where(Expert.display_name.icontains(text, autoescape=True))
        return statement
