from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.conversations.models import Conversation, Participant
from messaging.projects.models import Project

# Newest activity first: the last message, or the creation for a conversation without one.
ACTIVITY = func.coalesce(Conversation.last_message_at, Conversation.created_at)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, conversation: Conversation) -> None:
        self.session.add(conversation)

    async def get(self, conversation_id: str) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def titled(self, conversation_id: str, project_id: str | None) -> tuple[str, str | None] | None:
        """(the conversation's id, the title of `project_id` or else of its own project) in one
        query; None when there is no such conversation."""
        project = Project.id == (project_id if project_id else Conversation.project_id)
        row = (await self.session.execute(
            select(Conversation.id, Project.title).outerjoin(Project, project).where(Conversation.id == conversation_id)
        )).first()
        return (row.id, row.title) if row else None

    def of_user(self, user_id: str, *, include_hidden: bool) -> Select:
        joined = and_(Participant.conversation_id == Conversation.id, Participant.user_id == user_id)
        statement = select(Conversation).join(Participant, joined)
        return statement if include_hidden else statement.where(Participant.hidden_at.is_(None))
