from sqlalchemy import Select, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.conversations.models import Conversation, Participant
from messaging.projects.models import Project

_TITLED = text("""
    SELECT w.conversation_id AS wanted_conversation, w.project_id AS wanted_project, c.id, p.title
    FROM unnest(CAST(:conversations AS varchar[]), CAST(:projects AS varchar[])) AS w(conversation_id, project_id)
    JOIN conversations c ON c.id = w.conversation_id
    LEFT JOIN projects p ON p.id = coalesce(w.project_id, c.project_id)
""")

# Newest activity first: the last message, or the creation for a conversation without one.
ACTIVITY = func.coalesce(Conversation.last_message_at, Conversation.created_at)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, conversation: Conversation) -> None:
        self.session.add(conversation)

    async def get(self, conversation_id: str) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def titled(self, wanted: list[tuple[str, str | None]]) -> dict[tuple[str, str | None], tuple[str, str | None]]:
        """For each (conversation id, project id or None) that names an existing conversation:
        (the conversation's id, the title of that project, or else of the conversation's own),
        all in one query."""
        distinct = list(dict.fromkeys(wanted))
        rows = await self.session.execute(_TITLED, {"conversations": [c for c, _ in distinct], "projects": [p for _, p in distinct]})
        return {(row.wanted_conversation, row.wanted_project): (row.id, row.title) for row in rows}

    def of_user(self, user_id: str, *, include_hidden: bool) -> Select:
        joined = and_(Participant.conversation_id == Conversation.id, Participant.user_id == user_id)
        statement = select(Conversation).join(Participant, joined)
        return statement if include_hidden else statement.where(Participant.hidden_at.is_(None))
