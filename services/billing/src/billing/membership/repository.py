from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.membership.models import ConversationMembership, ProjectMembership


class MembershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_project_members(self, project_id: str, user_ids: list[str]) -> None:
        rows = [{"project_id": project_id, "user_id": u} for u in user_ids]
        await self.session.execute(insert(ProjectMembership).values(rows).on_conflict_do_nothing())

    async def add_conversation_participants(self, conversation_id: str, project_id: str | None, user_ids: list[str]) -> None:
        rows = [{"conversation_id": conversation_id, "project_id": project_id, "user_id": u} for u in user_ids]
        await self.session.execute(insert(ConversationMembership).values(rows).on_conflict_do_nothing())

    async def project_members(self, project_id: str) -> set[str]:
        rows = await self.session.scalars(select(ProjectMembership.user_id).where(ProjectMembership.project_id == project_id))
        return set(rows)

    async def conversation_participants(self, conversation_id: str) -> set[str]:
        rows = await self.session.scalars(
            select(ConversationMembership.user_id).where(ConversationMembership.conversation_id == conversation_id)
        )
        return set(rows)

    async def conversation_project(self, conversation_id: str) -> str | None:
        return await self.session.scalar(
            select(ConversationMembership.project_id).where(ConversationMembership.conversation_id == conversation_id).limit(1)
        )
