from fastapi import APIRouter, Response, status

from settle_kit.auth import CurrentPrincipal
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from messaging.projects import service
from messaging.projects.schemas import MemberAdd, ProjectCreate, ProjectOut

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProjectOut)
async def create_project(body: ProjectCreate, caller: CurrentPrincipal, uow: UoW):
    project = await service.create_project(uow, caller, body.title)
    await uow.commit()
    return project


@router.get("", response_model=Page[ProjectOut])
async def list_projects(caller: CurrentPrincipal, uow: UoW, page: Pagination):
    """The projects you own or were added to, newest first."""
    projects, has_more = await service.list_projects(uow, caller, page)
    return Page(data=projects, has_more=has_more)


@router.get("/{project_id}", response_model=ProjectOut)
async def get_project(project_id: str, caller: CurrentPrincipal, uow: UoW):
    return await service.visible_project(uow, caller, project_id)


@router.post("/{project_id}/members", status_code=status.HTTP_204_NO_CONTENT)
async def add_member(project_id: str, body: MemberAdd, caller: CurrentPrincipal, uow: UoW) -> Response:
    await service.add_member(uow, caller, project_id, body.user_id)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
