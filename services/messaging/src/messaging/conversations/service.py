"""Conversations between participants, optionally inside a project."""

from settle_contracts.messaging import ConversationCreated
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound, Unprocessable
from settle_kit.models import new_id

from messaging.conversations.models import Conversation, Participant
from messaging.conversations.repository import ConversationRepository
from messaging.projects.service import visible_project


async def create_conversation(
    uow: UnitOfWork, caller: Principal, participant_ids: list[str], project_id: str | None
) -> Conversation:
    members = list(dict.fromkeys([caller.user_id, *participant_ids]))
    if len(members) < 2:
        raise Unprocessable("A conversation needs someone besides you.", field="participant_ids")
    if project_id is not None:
        project = await visible_project(uow, caller, project_id)
        outsiders = [m for m in members if m not in project.member_ids]
        if outsiders:
            raise Unprocessable(
                f"Not members of the project: {', '.join(outsiders)}.",
                code="participant_not_in_project",
                field="participant_ids",
            )
    conversation = Conversation(id=new_id("conv"), project_id=project_id)
    conversation.participants.extend(Participant(user_id=m) for m in members)
    ConversationRepository(uow.session).add(conversation)
    await uow.session.flush()
    uow.emit(
        ConversationCreated(
            conversation_id=conversation.id,
            project_id=project_id,
            participant_ids=members,
            created_at=conversation.created_at,
        )
    )
    return conversation


async def visible_conversation(uow: UnitOfWork, caller: Principal, conversation_id: str) -> Conversation:
    conversation = await ConversationRepository(uow.session).get(conversation_id)
    if conversation is None or not (caller.is_admin or caller.user_id in conversation.participant_ids):
        raise NotFound("No such conversation.", code="conversation_not_found")
    return conversation
