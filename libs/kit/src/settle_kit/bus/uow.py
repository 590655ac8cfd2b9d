"""Unit of work: one database transaction, and the events it emits written to the outbox in it.

The request or message handler owns the unit of work and commits it; services only use its
`session` and call `emit()`. Nothing is published unless the business change commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import propagate
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_contracts import Envelope, Event
from settle_kit import context
from settle_kit.bus.schema import outbox
from settle_kit.db import Database


def outbox_row(event: Event, producer: str) -> tuple[Envelope, dict[str, Any]]:
    """The outbox row of an event emitted now, in the current request's or message's context."""
    envelope = Envelope.wrap(
        event,
        producer=producer,
        correlation_id=context.correlation_id.get() or context.request_id.get(),
        causation_id=context.causation_id.get(),
    )
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return envelope, {"id": envelope.id, "type": envelope.type, "envelope": envelope.model_dump(mode="json"), "headers": headers}


class UnitOfWork:
    def __init__(self, db: Database, producer: str) -> None:
        self._db = db
        self.producer = producer
        self._pending: list[dict[str, Any]] = []
        self._wrote_events = False
        self._after_commit: list[Callable[[], None]] = []
        self.session: AsyncSession

    @property
    def db(self) -> Database:
        return self._db

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._db.sessions()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # Whatever was not committed explicitly is rolled back, including emitted events.
        self._pending.clear()
        self._wrote_events = False
        self._after_commit.clear()
        await self.session.rollback()
        await self.session.close()

    def emit(self, event: Event) -> Envelope:
        envelope, row = outbox_row(event, self.producer)
        self._pending.append(row)
        return envelope

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that can fail alone: its changes and its events are undone."""
        mark = len(self._pending)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._pending[mark:]
            raise

    async def flush_events(self) -> None:
        if self._pending:
            await self.session.execute(insert(outbox), self._pending)
            self._pending.clear()
            self._wrote_events = True

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs `callback` once the next commit succeeded (e.g. waking a work queue for a row
        this transaction stored); a rollback forgets it."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await self.flush_events()
        await self.session.commit()
        if self._wrote_events:
            self._db.outbox_written.set()
            self._wrote_events = False
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        self._pending.clear()
        self._wrote_events = False
        self._after_commit.clear()
        await self.session.rollback()
