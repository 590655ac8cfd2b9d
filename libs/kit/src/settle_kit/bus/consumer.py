"""Consumes a service's queue: inbox + handlers in one transaction, then ack.

Deliveries are handled in batches, in arrival order: under load one transaction covers many
messages (one inbox insert, one commit); when idle a batch is a single message, which waits only
a couple of milliseconds for company. A message is acked only after its transaction commits. If
a batch fails, its messages are handled one by one, so a poison message cannot hold back its
neighbours; a message that fails alone is retried through the delay queues and, after the last
delay, dead-lettered. A failure while the service's own database does not answer is not the
message's: the batch waits for the database instead of using up its retries.
A redelivered message whose id is already in the inbox is acked without running its handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from opentelemetry import propagate, trace

from settle_contracts import Envelope, Event
from settle_kit import context
from settle_kit.bus import inbox
from settle_kit.bus.messages import ATTEMPT_HEADER, ERROR_HEADER, attempt_of, copy_for_redelivery
from settle_kit.bus.subscriptions import Subscription, Subscriptions
from settle_kit.bus.topology import ServiceQueues, Topology
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.telemetry import tracer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope
    event: Event
    subscription: Subscription


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
        max_batch: int = 50,
        workers: int = 2,
        linger_s: float = 0.002,
        database_pause_s: float = 0.5,
        database_max_pause_s: float = 5.0,
        database_ping_timeout_s: float = 2.0,
    ) -> None:
        self.service = service
        self.db = db
        self.subscriptions = subscriptions
        self.topology = topology
        self.retry_delays_ms = retry_delays_ms
        self.prefetch = prefetch
        self.max_batch = max_batch
        self.workers = workers
        self.linger_s = linger_s
        self.database_pause_s = database_pause_s
        self.database_max_pause_s = database_max_pause_s
        self.database_ping_timeout_s = database_ping_timeout_s
        self._queues: ServiceQueues | None = None
        self._pending: asyncio.Queue[Delivery] = asyncio.Queue()
        self._worker_tasks: list[asyncio.Task] = []
        self._tracer = tracer("settle.bus")

    async def start(self, channel: AbstractChannel) -> None:
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queues = await self.topology.declare_service(
            channel, self.service, self.subscriptions.event_types, self.retry_delays_ms
        )
        self._worker_tasks = [asyncio.create_task(self._work(), name=f"consumer-{i}") for i in range(self.workers)]
        await self._queues.queue.consume(self.on_message)

    def check_alive(self) -> None:
        """Raises, naming them, if a worker task has stopped: deliveries would then pile up
        unhandled while the service still answers."""
        stopped = [task.get_name() for task in self._worker_tasks if task.done()]
        if not self._worker_tasks or stopped:
            raise RuntimeError(f"consumer workers stopped: {', '.join(stopped) or 'not started'}")

    async def stop(self) -> None:
        for task in self._worker_tasks:
            task.cancel()
        for task in self._worker_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            subscription = self.subscriptions.resolve(envelope.type)
            event = subscription.model.model_validate(envelope.data)
        except Exception as exc:
            # No retry can fix a message we cannot read: straight to the dead-letter queue, with why.
            log.error("undecodable message dead-lettered", extra={"message_id": message.message_id, "error": repr(exc)})
            await self._dead_letter(message, exc)
            return
        if not subscription.wants(event):
            await message.ack()  # nothing to do here, now or on a redelivery
            return
        self._pending.put_nowait(Delivery(message, envelope, event, subscription))

    async def _work(self) -> None:
        while True:
            batch = [await self._pending.get()]
            if self._pending.empty() and self.linger_s:
                # A relay publishes its batch at once: wait a moment for the rest of it, so one
                # transaction covers them rather than one each.
                await asyncio.sleep(self.linger_s)
            while len(batch) < self.max_batch and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            try:
                await self._handle(batch)
            except Exception:
                # The broker will redeliver whatever was not acked; keep the worker alive.
                log.exception("consumer worker error")

    async def _handle(self, batch: list[Delivery]) -> None:
        while True:
            try:
                await self.apply(batch)
                break
            except Exception as exc:
                if await self._waited_for_database():
                    continue
                if len(batch) > 1:
                    for delivery in batch:
                        await self._handle([delivery])
                    return
                log.warning("handler failed", exc_info=True, extra={"event_id": str(batch[0].envelope.id), "type": batch[0].envelope.type})
                await self._retry_or_dead_letter(batch[0].message, exc)
                return
        # All at once: each ack waits until the writer task has sent it, one loop turn each when
        # awaited in turn.
        await asyncio.gather(*(self.acknowledge(delivery.message) for delivery in batch))

    async def apply(self, batch: list[Delivery]) -> None:
        """Runs each handler once per event id, all in one transaction: a batched handler once
        per run of consecutive events that go to it."""
        async with UnitOfWork(self.db, self.service) as uow:
            fresh = await inbox.claim(uow.session, [d.envelope for d in batch])
            for run in _runs([d for d in batch if d.envelope.id in fresh]):
                subscription = run[0].subscription
                if subscription.batched:
                    with self._handling_run(run):
                        await subscription.handler([d.event for d in run], uow)
                    continue
                for delivery in run:
                    with self._handling(delivery):
                        await subscription.handler(delivery.event, uow)
            await uow.commit()

    async def _waited_for_database(self) -> bool:
        """After a failure: if our own database does not answer, the failure is the outage's, not
        the messages'. Counting it against them would dead-letter everything that arrives during
        an outage longer than the retry delays, so the batch is held (unacked: a crash meanwhile
        gives it back to the broker) until the database answers again, and then handled anew.
        False when the database answers: the failure was the messages' own."""
        pause = self.database_pause_s
        waited = False
        while True:
            try:
                await self.db.ping(timeout=self.database_ping_timeout_s)
                return waited
            except Exception:
                if not waited:
                    log.warning("database unreachable; holding deliveries until it answers")
                waited = True
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.database_max_pause_s)

    async def acknowledge(self, message: AbstractIncomingMessage) -> None:
        await message.ack()

    async def _dead_letter(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        assert self._queues is not None
        try:
            copy = copy_for_redelivery(message, **{ERROR_HEADER: repr(exc)[:500]})
            await self._queues.dead_exchange.publish(copy, routing_key=self.topology.queue(self.service))
        except Exception:
            await message.reject(requeue=False)  # the queue's own dead-lettering, without the reason
            return
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
    def _handling_run(self, run: list[Delivery]) -> Iterator[None]:
        """One span for a batched handler's run, linked to each message's trace."""
        links = []
        for delivery in run:
            sender = trace.get_current_span(propagate.extract(delivery.message.headers or {})).get_span_context()
            if sender.is_valid:
                links.append(trace.Link(sender))
        with self._tracer.start_as_current_span(
            f"{run[0].envelope.type} process", kind=trace.SpanKind.CONSUMER, links=links,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation": "process",
                "messaging.batch.message_count": len(run),
                "messaging.destination.name": self.topology.queue(self.service),
            },
        ):
            yield

    @contextmanager
    def _handling(self, delivery: Delivery) -> Iterator[None]:
        """Trace and correlation context of one message while its handler runs."""
        envelope = delivery.envelope
        parent = propagate.extract(delivery.message.headers or {})
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


def _runs(deliveries: list[Delivery]) -> list[list[Delivery]]:
    """Consecutive deliveries that go to the same batched handler form one run; any other
    delivery is a run of its own."""
    runs: list[list[Delivery]] = []
    for delivery in deliveries:
        previous = runs[-1][0].subscription if runs else None
        if previous is not None and previous.batched and delivery.subscription.batched and previous.handler is delivery.subscription.handler:
            runs[-1].append(delivery)
        else:
            runs.append([delivery])
    return runs
