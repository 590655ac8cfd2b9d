import json
from datetime import datetime

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.conversations.models import Conversation, Participant
from messaging.messages.models import Message, MessageUnlock


# One round trip per receipt, compiled once (SQLAlchemy does not cache INSERT .. ON CONFLICT).
_ADD_ONCE = text("""
    WITH posted AS (
        INSERT INTO messages (id, conversation_id, sender_id, kind, body, attachments, payment_id, dedupe_key, created_at)
        VALUES (:id, :conversation_id, :sender_id, :kind, :body, CAST(:attachments AS jsonb), :payment_id, :dedupe_key, :created_at)
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, conversation_id, created_at
    ), activity AS (
        UPDATE conversations c SET last_message_at = greatest(coalesce(c.last_message_at, posted.created_at), posted.created_at)
        FROM posted WHERE c.id = posted.conversation_id
    ), shown AS (
        UPDATE conversation_participants p SET hidden_at = NULL
        FROM posted WHERE p.conversation_id = posted.conversation_id AND p.hidden_at IS NOT NULL
    )
    SELECT id FROM posted
""")


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, message: Message) -> None:
        self.session.add(message)

    async def add_once(self, values: dict) -> bool:
        """Inserts a message unless one with its `dedupe_key` exists, and if it did, touches its
        conversation (as `touch_conversation`) in the same statement; returns whether it did."""
        inserted = await self.session.scalar(_ADD_ONCE, {**values, "attachments": json.dumps(values["attachments"])})
        return inserted is not None

    def of_conversation(self, conversation_id: str) -> Select:
        return select(Message).where(Message.conversation_id == conversation_id)

    async def unlocked_for(self, user_id: str, message_ids: list[str]) -> set[str]:
        if not message_ids:
            return set()
        rows = await self.session.scalars(
            select(MessageUnlock.message_id).where(MessageUnlock.user_id == user_id, MessageUnlock.message_id.in_(message_ids))
        )
        return set(rows)

    async def touch_conversation(self, conversation_id: str, at: datetime) -> None:
        """A new message: the conversation's activity moves to `at` and it shows again for everyone."""
        # greatest(): concurrent posts commit in any order, last_message_at never goes back.
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_message_at=func.greatest(func.coalesce(Conversation.last_message_at, at), at))
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Participant)
            .where(Participant.conversation_id == conversation_id, Participant.hidden_at.is_not(None))
            .values(hidden_at=None)
            .execution_options(synchronize_session=False)
        )
