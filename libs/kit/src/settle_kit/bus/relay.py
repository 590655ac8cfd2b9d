"""Publishes outbox rows to the events exchange with publisher confirms.

Each batch is claimed with `FOR UPDATE SKIP LOCKED`, published, and marked in one transaction,
so several replicas share the work without publishing a row twice at the same time, and a relay
killed mid-batch leaves its rows unmarked for the next one. That can publish a row again (at
least once); consumers' inboxes make the repeat harmless.

The relay wakes as soon as its own process commits an event (`Database.outbox_written`); every
replica runs a relay, so that covers the events of every replica. Rows written by a process
without one wait at most `poll_interval_s`.

Published rows are pruned by the kit's retention (`settle_kit/retention.py`,
`<SERVICE>_OUTBOX_RETENTION_H`, in small batches), not here: one place decides how long they stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aio_pika.abc import AbstractExchange
from opentelemetry import propagate, trace
from sqlalchemy import func, select, update

from settle_kit.bus.messages import build_message
from settle_kit.bus.schema import outbox
from settle_kit.db import Database
from settle_kit.telemetry import tracer

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        exchange: AbstractExchange,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self._tracer = tracer("settle.bus")

    async def run(self) -> None:
        backoff = 0.1
        while True:
            # Cleared before the batch is read: an event committed while it is being published
            # sets it again, so the relay comes straight back for it.
            self.db.outbox_written.clear()
            try:
                published = await self.publish_batch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox relay failed; retrying", exc_info=True, extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self.batch_size:
                await self._wait_for_work()

    async def publish_batch(self) -> int:
        async with self.db.engine.connect() as conn, conn.begin():
            rows = (
                await conn.execute(
                    select(outbox.c.seq, outbox.c.type, outbox.c.envelope, outbox.c.headers)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await asyncio.gather(*(self.publish(row) for row in rows))
            await conn.execute(
                update(outbox).where(outbox.c.seq.in_([row.seq for row in rows])).values(published_at=func.now())
            )
        return len(rows)

    async def publish(self, row) -> None:
        parent = propagate.extract(row.headers or {})
        with self._tracer.start_as_current_span(
            f"{row.type} publish",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "rabbitmq", "messaging.destination.name": row.type},
        ):
            headers: dict[str, str] = {}
            propagate.inject(headers)
            message = build_message(row.envelope, headers)
            # aiormq's own publish, not aio-pika's: aio-pika waits, under the channel's lock, until
            # each message is written to the socket, so a batch's publishes queued one event-loop
            # turn each (seconds for a batch while the service was busy serving requests). Every
            # broker confirm is still awaited; a nack raises DeliveryError and the batch stays
            # unmarked. mandatory=False: an event nobody subscribes to yet is not an error.
            channel = await self.exchange.channel.get_underlay_channel()
            await channel.basic_publish(
                message.body, exchange=self.exchange.name, routing_key=row.type, properties=message.properties,
                mandatory=False, wait=False,
            )

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.db.outbox_written.wait(), self.poll_interval_s)
