"""Internal API (role `service`; the gateway routes no `/internal` path): who belongs to a
conversation or a project, for billing when its copy of the membership, kept from our events,
has not caught up yet (a payment made on the request right after the conversation)."""

from typing import Annotated

from fastapi import APIRouter

from settle_kit.auth import Principal, require_role
from settle_kit.errors import NotFound
from settle_kit.service import UoW

from messaging.conversations.repository import ConversationRepository
from messaging.membership.schemas import ConversationMembershipOut, ProjectMembersOut
from messaging.projects.repository import ProjectRepository

router = APIRouter(prefix="/internal", tags=["internal"])

ServiceCaller = Annotated[Principal, require_role("service")]


@router.get("/conversations/{conversation_id}/membership", response_model=ConversationMembershipOut)
async def conversation_membership(conversation_id: str, uow: UoW, caller: ServiceCaller):
    conversation = await ConversationRepository(uow.session).get(conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    return ConversationMembershipOut(
        conversation_id=conversation.id, project_id=conversation.project_id, participant_ids=conversation.participant_ids
    )


@router.get("/projects/{project_id}/members", response_model=ProjectMembersOut)
async def project_members(project_id: str, uow: UoW, caller: ServiceCaller):
    project = await ProjectRepository(uow.session).get(project_id)
    if project is None:
        raise NotFound("No such project.", code="project_not_found")
    return ProjectMembersOut(project_id=project.id, member_ids=project.member_ids)
