"""Projects: a titled group of members; its owner adds the others."""

from settle_contracts.messaging import ProjectCreated, ProjectMemberAdded
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Forbidden, NotFound
from settle_kit.models import new_id
from settle_kit.pagination import PageParams, paginate

from messaging.projects.models import Project, ProjectMember
from messaging.projects.repository import ProjectRepository


async def create_project(uow: UnitOfWork, caller: Principal, title: str) -> Project:
    project = Project(id=new_id("prj"), title=title, owner_id=caller.user_id)
    project.members.append(ProjectMember(user_id=caller.user_id))
    ProjectRepository(uow.session).add(project)
    await uow.session.flush()
    uow.emit(
        ProjectCreated(
            project_id=project.id,
            title=project.title,
            owner_id=project.owner_id,
            member_ids=project.member_ids,
            created_at=project.created_at,
        )
    )
    return project


async def list_projects(uow: UnitOfWork, caller: Principal, params: PageParams) -> tuple[list[Project], bool]:
    """The caller's own projects, owned or joined (an admin's too: listing is personal), newest first."""
    statement = ProjectRepository(uow.session).of_member(caller.user_id)
    return await paginate(uow.session, statement, created_at=Project.created_at, id_=Project.id, params=params)


async def visible_project(uow: UnitOfWork, caller: Principal, project_id: str) -> Project:
    """The project, if the caller is a member (or admin); otherwise 404, as if it did not exist."""
    repo = ProjectRepository(uow.session)
    project = await repo.get(project_id)
    if project is None or not (caller.is_admin or caller.user_id in project.member_ids):
        raise NotFound("No such project.", code="project_not_found")
    return project


async def add_member(uow: UnitOfWork, caller: Principal, project_id: str, user_id: str) -> None:
    project = await visible_project(uow, caller, project_id)
    if project.owner_id != caller.user_id and not caller.is_admin:
        raise Forbidden("Only the project's owner adds members.", code="not_project_owner")
    if user_id in project.member_ids:
        return  # adding a member twice is a no-op, not an error
    project.members.append(ProjectMember(user_id=user_id))
    uow.emit(ProjectMemberAdded(project_id=project.id, user_id=user_id))
