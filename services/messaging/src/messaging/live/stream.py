"""Server-Sent Events of one conversation for one viewer.

The viewer subscribes to the conversation's shared poller (`hub.py`), catches up from its
`Last-Event-ID` with its own reads of the feed, then sends what the poller hands it, skipping
numbers already sent. Each event carries the message as this viewer may see it now; `id:` is the
feed's number, so a reconnect with `Last-Event-ID` resumes right after the last event received.
Events meant for another user (their unlock) are passed over. A comment line keeps an idle
connection open.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi.encoders import jsonable_encoder
from sqlalchemy import select

from settle_kit.db import Database

from messaging.live import feed
from messaging.live.hub import FeedHub
from messaging.live.models import ConversationEvent
from messaging.messages.models import Message
from messaging.messages.repository import MessageRepository
from messaging.messages.schemas import MessageOut


async def events(
    db: Database, hub: FeedHub, conversation_id: str, viewer_id: str, start_after: int, *, keepalive_s: float
) -> AsyncIterator[str]:
    queue = await hub.subscribe(conversation_id)
    try:
        yield "retry: 1000\n\n"
        seen = start_after
        while True:  # what came before this stream joined the poller
            async with db.sessions() as session:
                backlog = await feed.after(session, conversation_id, seen)
            if not backlog:
                break
            for frame in await _frames(db, viewer_id, backlog):
                yield frame
            seen = backlog[-1].seq
        while True:
            try:
                found = await asyncio.wait_for(queue.get(), timeout=keepalive_s)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            fresh = [e for e in found if e.seq > seen]
            if fresh:
                for frame in await _frames(db, viewer_id, fresh):
                    yield frame
                seen = fresh[-1].seq
    finally:
        hub.unsubscribe(conversation_id, queue)


async def _frames(db: Database, viewer_id: str, found: list[ConversationEvent]) -> list[str]:
    mine = [e for e in found if e.audience in (None, viewer_id)]
    if not mine:
        return []
    ids = list({e.message_id for e in mine})
    async with db.sessions() as session:
        messages = {m.id: m for m in await session.scalars(select(Message).where(Message.id.in_(ids)))}
        bought = await MessageRepository(session).unlocked_for(viewer_id, [i for i, m in messages.items() if m.kind == "paid"])
    frames = []
    for event in mine:
        message = messages.get(event.message_id)
        if message is not None:
            shown = MessageOut.seen_by(message, viewer_id, message.id in bought)
            data = json.dumps(jsonable_encoder(shown), separators=(",", ":"))
            frames.append(f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n")
    return frames
