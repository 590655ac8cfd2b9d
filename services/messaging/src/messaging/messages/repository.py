import json

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.messages.models import Message, MessageUnlock


# A message and what it does to its conversation, in one round trip compiled once (SQLAlchemy
# does not cache INSERT .. ON CONFLICT). The conversation's activity moves to the message and it
# shows again for everyone; greatest(): concurrent posts commit in any order, and
# last_message_at never goes back. Its `message.created` joins the conversation's live feed
# (live/feed.py), numbered under the conversation's row lock taken here. A message whose
# `dedupe_key` exists already changes nothing.
_POST = text("""
    WITH posted AS (
        INSERT INTO messages (id, conversation_id, sender_id, kind, body, attachments, price_amount, price_currency,
                              payment_id, dedupe_key, created_at)
        VALUES (:id, :conversation_id, :sender_id, :kind, :body, CAST(:attachments AS jsonb), :price_amount, :price_currency,
                :payment_id, :dedupe_key, :created_at)
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, conversation_id, created_at
    ), activity AS (
        UPDATE conversations c SET last_message_at = greatest(coalesce(c.last_message_at, posted.created_at), posted.created_at),
                                   event_seq = c.event_seq + 1
        FROM posted WHERE c.id = posted.conversation_id
        RETURNING c.id, c.event_seq
    ), feed AS (
        INSERT INTO conversation_events (conversation_id, seq, type, message_id, audience, created_at)
        SELECT activity.id, activity.event_seq, 'message.created', posted.id, NULL, now() FROM activity JOIN posted ON posted.conversation_id = activity.id
    ), shown AS (
        UPDATE conversation_participants p SET hidden_at = NULL
        FROM posted WHERE p.conversation_id = posted.conversation_id AND p.hidden_at IS NOT NULL
    )
    SELECT id FROM posted
""")


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def post(self, message: Message) -> bool:
        """Stores a new message and touches its conversation; returns False, changing nothing,
        when a message with its `dedupe_key` exists."""
        inserted = await self.session.scalar(_POST, _values(message))
        return inserted is not None

    async def post_many(self, messages: list[Message]) -> None:
        """`post` for each, in order, in one round trip."""
        if messages:
            await self.session.execute(_POST, [_values(m) for m in messages])

    def of_conversation(self, conversation_id: str) -> Select:
        return select(Message).where(Message.conversation_id == conversation_id)

    async def receipts_of(self, payment_id: str) -> list[Message]:
        """The system messages a payment's outcomes posted, oldest first."""
        query = select(Message).where(Message.payment_id == payment_id, Message.kind == "system")
        return list(await self.session.scalars(query.order_by(Message.created_at, Message.id)))

    async def unlocked_for(self, user_id: str, message_ids: list[str]) -> set[str]:
        if not message_ids:
            return set()
        rows = await self.session.scalars(
            select(MessageUnlock.message_id).where(MessageUnlock.user_id == user_id, MessageUnlock.message_id.in_(message_ids))
        )
        return set(rows)


def _values(message: Message) -> dict:
    values = {column.key: getattr(message, column.key) for column in Message.__table__.columns}
    return {**values, "attachments": json.dumps(message.attachments)}
