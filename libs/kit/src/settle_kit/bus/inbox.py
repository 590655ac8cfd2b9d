"""Records handled event ids in the consumer's own transaction."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_contracts import Envelope
from settle_kit.bus.schema import inbox


async def claim(session: AsyncSession, envelope: Envelope) -> bool:
    """True the first time an event id is seen; False for a redelivery (already handled)."""
    result = await session.execute(
        insert(inbox)
        .values(event_id=envelope.id, type=envelope.type)
        .on_conflict_do_nothing(index_elements=[inbox.c.event_id])
        .returning(inbox.c.event_id)
    )
    return result.scalar_one_or_none() is not None
