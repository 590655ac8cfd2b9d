from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.projects.models import Project, ProjectMember


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, project: Project) -> None:
        self.session.add(project)

    async def get(self, project_id: str) -> Project | None:
        return await self.session.get(Project, project_id)

    async def is_member(self, project_id: str, user_id: str) -> bool:
        found = await self.session.scalar(
            select(ProjectMember.user_id).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
        )
        return found is not None

    def of_member(self, user_id: str) -> Select:
        """The projects `user_id` belongs to (an owner is a member too)."""
        joined = (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == user_id)
        return select(Project).join(ProjectMember, joined)
