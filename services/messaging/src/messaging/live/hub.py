"""One poll of a conversation's feed per process, however many streams follow it.

Each stream subscribes to its conversation's hub entry and receives the feed's new rows from one
shared poller (a short query every `poll_s`, no connection held between polls); the poller stops
when its last subscriber leaves. A subscriber catches up on what came before it joined by itself
(`stream.py`), so an event is never missed: anything committed after it subscribed reaches its
queue, anything before is in its own catch-up read, and numbers already sent are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from settle_kit.db import Database

from messaging.live import feed
from messaging.live.models import ConversationEvent

log = logging.getLogger(__name__)


@dataclass
class _Followed:
    seen: int
    queues: set[asyncio.Queue] = field(default_factory=set)
    task: asyncio.Task | None = None


class FeedHub:
    def __init__(self, db: Database, poll_s: float) -> None:
        self.db, self.poll_s = db, poll_s
        self._followed: dict[str, _Followed] = {}

    async def subscribe(self, conversation_id: str) -> asyncio.Queue[list[ConversationEvent]]:
        queue: asyncio.Queue[list[ConversationEvent]] = asyncio.Queue()
        followed = self._followed.get(conversation_id)
        if followed is None:
            async with self.db.sessions() as session:
                start = await feed.last_seq(session, conversation_id)
            followed = self._followed.setdefault(conversation_id, _Followed(seen=start))
        followed.queues.add(queue)
        if followed.task is None:
            followed.task = asyncio.create_task(self._poll(conversation_id, followed), name=f"feed-{conversation_id}")
        return queue

    def unsubscribe(self, conversation_id: str, queue: asyncio.Queue) -> None:
        followed = self._followed.get(conversation_id)
        if followed is None:
            return
        followed.queues.discard(queue)
        if not followed.queues:
            del self._followed[conversation_id]
            if followed.task is not None:
                followed.task.cancel()

    async def _poll(self, conversation_id: str, followed: _Followed) -> None:
        while followed.queues:
            try:
                async with self.db.sessions() as session:
                    found = await feed.after(session, conversation_id, followed.seen)
            except Exception:  # the database away for a moment: the next poll tries again
                log.warning("live feed poll failed", extra={"conversation_id": conversation_id}, exc_info=True)
                found = []
            if found:
                followed.seen = found[-1].seq
                for queue in followed.queues:
                    queue.put_nowait(found)
                continue  # more may be waiting beyond this page
            await asyncio.sleep(self.poll_s)

    async def close(self) -> None:
        tasks = [f.task for f in self._followed.values() if f.task is not None]
        self._followed.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
