"""Conversations between participants, optionally inside a project."""

from settle_contracts.messaging import ConversationCreated
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Forbidden, NotFound, Unprocessable
from settle_kit.models import new_id, utcnow
from settle_kit.pagination import PageParams, paginate

from messaging.conversations.models import Conversation, Participant
from messaging.conversations.repository import ACTIVITY, ConversationRepository
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


async def list_conversations(
    uow: UnitOfWork, caller: Principal, params: PageParams, *, include_hidden: bool
) -> tuple[list[Conversation], bool]:
    """The caller's own conversations (an admin's too: listing is personal), newest activity first."""
    statement = ConversationRepository(uow.session).of_user(caller.user_id, include_hidden=include_hidden)
    return await paginate(uow.session, statement, created_at=ACTIVITY, id_=Conversation.id, params=params)


async def set_hidden(uow: UnitOfWork, caller: Principal, conversation_id: str, hidden: bool) -> None:
    conversation = await visible_conversation(uow, caller, conversation_id)
    participant = conversation.participant(caller.user_id)
    if participant is None:
        # An admin may read any conversation, but hiding is a participant's own view of their list.
        raise Forbidden("Only participants hide or unhide a conversation.", code="not_a_participant")
    if not hidden:
        participant.hidden_at = None
    elif participant.hidden_at is None:
        participant.hidden_at = utcnow()
