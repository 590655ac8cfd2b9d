"""Server-Sent Events of one conversation for one viewer, read from its live feed.

The stream polls the feed (a short query, no connection held between polls) and sends each event
with the message as this viewer may see it now: `id:` is the feed's number, so a reconnect with
`Last-Event-ID` resumes right after the last event received. Events meant for another user (their
unlock) are skipped, their numbers passed over. A comment line keeps an idle connection open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi.encoders import jsonable_encoder
from sqlalchemy import select

from settle_kit.db import Database

from messaging.live import feed
from messaging.messages.models import Message
from messaging.messages.repository import MessageRepository
from messaging.messages.schemas import MessageOut


async def events(
    db: Database, conversation_id: str, viewer_id: str, start_after: int, *, poll_s: float, keepalive_s: float
) -> AsyncIterator[str]:
    seen = start_after
    quiet_since = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        frames, seen = await _next(db, conversation_id, viewer_id, seen)
        for frame in frames:
            yield frame
        if frames:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= keepalive_s:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_s)


async def _next(db: Database, conversation_id: str, viewer_id: str, seen: int) -> tuple[list[str], int]:
    async with db.sessions() as session:
        found = await feed.after(session, conversation_id, seen)
        if not found:
            return [], seen
        mine = [e for e in found if e.audience in (None, viewer_id)]
        ids = list({e.message_id for e in mine})
        messages = {m.id: m for m in await session.scalars(select(Message).where(Message.id.in_(ids)))} if ids else {}
        bought = await MessageRepository(session).unlocked_for(viewer_id, [i for i, m in messages.items() if m.kind == "paid"])
    frames = []
    for event in mine:
        message = messages.get(event.message_id)
        if message is not None:
            shown = MessageOut.seen_by(message, viewer_id, message.id in bought)
            data = json.dumps(jsonable_encoder(shown), separators=(",", ":"))
            frames.append(f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n")
    return frames, found[-1].seq
