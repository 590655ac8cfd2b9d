"""Consumes a service's queue: inbox + handler in one transaction, then ack.

A message is acked only after its handler's transaction commits. A handler that fails is
retried through the delay queues; after the last delay the message goes to the dead-letter
queue, and the messages behind it carry on. A redelivered message whose id is already in the
inbox is acked without running the handler again.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from opentelemetry import propagate, trace

from settle_contracts import Envelope, Event
from settle_kit import context
from settle_kit.bus import inbox
from settle_kit.bus.messages import ATTEMPT_HEADER, ERROR_HEADER, attempt_of, copy_for_redelivery
from settle_kit.bus.subscriptions import Handler, Subscriptions
from settle_kit.bus.topology import ServiceQueues, Topology
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.telemetry import tracer

log = logging.getLogger(__name__)


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        subscriptions: Subscriptions,
        topology: Topology,
        retry_delays_ms: list[int],
        prefetch: int = 64,
    ) -> None:
        self.service = service
        self.db = db
        self.subscriptions = subscriptions
        self.topology = topology
        self.retry_delays_ms = retry_delays_ms
        self.prefetch = prefetch
        self._queues: ServiceQueues | None = None
        self._tracer = tracer("settle.bus")

    async def start(self, channel: AbstractChannel) -> None:
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queues = await self.topology.declare_service(
            channel, self.service, self.subscriptions.event_types, self.retry_delays_ms
        )
        await self._queues.queue.consume(self.on_message)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            model, handler = self.subscriptions.resolve(envelope.type)
            event = model.model_validate(envelope.data)
        except Exception as exc:
            # No retry can fix a message we cannot read: straight to the dead-letter queue.
            log.error("undecodable message dead-lettered", extra={"message_id": message.message_id, "error": repr(exc)})
            await message.reject(requeue=False)
            return

        with self._consume_span(message, envelope):
            try:
                await self.apply(envelope, event, handler)
            except Exception as exc:
                log.warning("handler failed", exc_info=True, extra={"event_id": str(envelope.id), "type": envelope.type})
                await self._retry_or_dead_letter(message, exc)
                return
        await self.acknowledge(message)

    async def apply(self, envelope: Envelope, event: Event, handler: Handler) -> bool:
        """Runs the handler once per event id; returns False for a duplicate."""
        async with UnitOfWork(self.db, self.service) as uow:
            if not await inbox.claim(uow.session, envelope):
                return False
            await handler(event, uow)
            await uow.commit()
            return True

    async def acknowledge(self, message: AbstractIncomingMessage) -> None:
        await message.ack()

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        assert self._queues is not None
        attempt = attempt_of(message)
        copy = copy_for_redelivery(message, **{ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: repr(exc)[:500]})
        try:
            if attempt < len(self.retry_delays_ms):
                delay = self.retry_delays_ms[attempt]
                await self._queues.retry_exchange.publish(copy, routing_key=self.topology.retry_queue(self.service, delay))
            else:
                log.error("message dead-lettered after retries", extra={"message_id": message.message_id})
                await self._queues.dead_exchange.publish(copy, routing_key=self.topology.queue(self.service))
        except Exception:
            # Could not park it: leave it on the queue for redelivery rather than lose it.
            log.warning("could not schedule retry; requeueing", exc_info=True)
            await message.nack(requeue=True)
            return
        await message.ack()

    @contextmanager
    def _consume_span(self, message: AbstractIncomingMessage, envelope: Envelope):
        parent = propagate.extract(message.headers or {})
        tokens = (
            context.correlation_id.set(envelope.correlation_id or str(envelope.id)),
            context.causation_id.set(str(envelope.id)),
        )
        try:
            with self._tracer.start_as_current_span(
                f"{envelope.type} process",
                context=parent,
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation": "process",
                    "messaging.message.id": str(envelope.id),
                    "messaging.destination.name": self.topology.queue(self.service),
                },
            ):
                yield
        finally:
            context.causation_id.reset(tokens[1])
            context.correlation_id.reset(tokens[0])
