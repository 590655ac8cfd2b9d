"""Each conversation's live feed: its committed changes, numbered 1, 2, 3… without gaps.

A change is numbered by incrementing `conversations.event_seq` in the transaction that makes it:
the row lock this takes is held until commit, so a later number never commits before an earlier
one, and a reader that has seen number n has seen everything up to n. That is what lets
`Last-Event-ID` resume a stream without gaps. New messages are numbered by the statement that
posts them (messages/repository.py); unlocks and revocations here.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.live.models import ConversationEvent

CREATED, UNLOCKED, UPDATED = "message.created", "message.unlocked", "message.updated"

_RECORD = text("""
    WITH numbered AS (
        UPDATE conversations SET event_seq = event_seq + 1 WHERE id = :conversation_id RETURNING id, event_seq
    )
    INSERT INTO conversation_events (conversation_id, seq, type, message_id, audience, created_at)
    SELECT id, event_seq, :type, :message_id, :audience, now() FROM numbered
""")


async def record(session: AsyncSession, conversation_id: str, type_: str, message_id: str, audience: str | None = None) -> None:
    """Adds a change to the conversation's feed, in the caller's transaction. `audience`: the one
    user who sees it (an unlock, a revocation), or None for every participant."""
    await session.execute(_RECORD, {"conversation_id": conversation_id, "type": type_, "message_id": message_id, "audience": audience})


async def last_seq(session: AsyncSession, conversation_id: str) -> int:
    return await session.scalar(text("SELECT event_seq FROM conversations WHERE id = :id"), {"id": conversation_id}) or 0


async def after(session: AsyncSession, conversation_id: str, seq: int, limit: int = 200) -> list[ConversationEvent]:
    rows = await session.scalars(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id, ConversationEvent.seq > seq)
        .order_by(ConversationEvent.seq)
        .limit(limit)
    )
    return list(rows)
