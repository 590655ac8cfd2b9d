"""Records handled event ids in the consumer's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_contracts import Envelope
from settle_kit.bus.schema import inbox


# Built once: executed with a list of rows, it compiles once whatever the batch size.
_CLAIM = insert(inbox).on_conflict_do_nothing(index_elements=[inbox.c.event_id]).returning(inbox.c.event_id)


async def claim(session: AsyncSession, envelopes: Sequence[Envelope]) -> set[uuid.UUID]:
    """The ids seen here for the first time; the others are redeliveries, already handled."""
    result = await session.execute(_CLAIM, [{"event_id": e.id, "type": e.type} for e in envelopes])
    return set(result.scalars())
