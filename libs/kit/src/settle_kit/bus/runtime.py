"""A service's connection to the bus: one robust connection, the relay and the consumer.

They run as tasks inside the service process (see README, "Why in-process"): replicas of a
service are competing consumers on its queue and share the outbox through SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from tenacity import AsyncRetrying, wait_exponential

from settle_kit.bus.consumer import Consumer
from settle_kit.bus.dead_letters import DeadLetterKeeper
from settle_kit.bus.relay import OutboxRelay
from settle_kit.bus.subscriptions import Subscriptions
from settle_kit.bus.topology import Topology
from settle_kit.db import Database
from settle_kit.errors import ServiceUnavailable
from settle_kit.settings import ServiceSettings

log = logging.getLogger(__name__)


class Bus:
    def __init__(self, settings: ServiceSettings, db: Database, subscriptions: Subscriptions) -> None:
        self.settings = settings
        self.db = db
        self.subscriptions = subscriptions
        self.topology = Topology(settings.bus_namespace)
        self.connection: AbstractRobustConnection | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: Consumer | None = None
        self._tasks: list[asyncio.Task] = []
        self._relay_task: asyncio.Task | None = None
        self._publish_channel: AbstractChannel | None = None
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        # `is_closed` only says whether we closed it; `connected` clears while it reconnects.
        return self.connection is not None and not self.connection.is_closed and self.connection.connected.is_set()

    def start(self) -> None:
        """Connects in the background: a service starts (and reports unready) while the broker is down."""
        task = asyncio.create_task(self._run(), name="bus")
        task.add_done_callback(_log_failure)
        self._tasks.append(task)

    async def _run(self) -> None:
        # Connecting, declaring and starting to consume are retried together: a failure after the
        # connection opened (a channel refused, a declaration that failed) must not leave the
        # service connected but deaf.
        async for attempt in AsyncRetrying(wait=wait_exponential(multiplier=0.2, max=5)):
            with attempt:
                await self._connect()
        if self.relay is not None:
            relay = asyncio.create_task(self.relay.run(), name="relay")
            relay.add_done_callback(_log_failure)
            self._tasks.append(relay)
            self._relay_task = relay

    async def _connect(self) -> None:
        connection = await aio_pika.connect_robust(
            self.settings.amqp_url,
            client_properties={"connection_name": self.settings.service_name},
        )
        consumer = None
        try:
            if self.settings.run_consumer and self.subscriptions:
                consumer = Consumer(
                    service=self.settings.service_name,
                    db=self.db,
                    subscriptions=self.subscriptions,
                    topology=self.topology,
                    retry_delays_ms=self.settings.bus_retry_delays_ms,
                    prefetch=self.settings.bus_prefetch,
                    workers=self.settings.bus_consumer_workers,
                )
                await consumer.start(await connection.channel())
                # Its dead letters are kept for operators (GET /v1/admin/dead-letters).
                await DeadLetterKeeper(self.settings.service_name, self.db, self.topology).start(await connection.channel())
            relay = None
            if self.settings.run_relay:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await self.topology.declare_events_exchange(channel)
                relay = OutboxRelay(
                    self.db,
                    exchange,
                    batch_size=self.settings.relay_batch_size,
                    poll_interval_s=self.settings.relay_poll_interval_s,
                )
        except BaseException:
            if consumer is not None:
                await consumer.stop()
            await connection.close()
            raise
        connection.reconnect_callbacks.add(self._count_reconnect)
        self.connection, self.consumer, self.relay = connection, consumer, relay

    async def publish_channel(self) -> AbstractChannel:
        """A confirming channel for the rare direct publish (a dead letter replayed); 503 while
        the broker is away."""
        if not self.connected:
            raise ServiceUnavailable("The message bus is not reachable; try again.", retry_after_s=5)
        if self._publish_channel is None or self._publish_channel.is_closed:
            self._publish_channel = await self.connection.channel(publisher_confirms=True)
        return self._publish_channel

    def check_relay(self) -> None:
        """Raises unless the outbox relay runs (events would otherwise stay in the outbox)."""
        if self._relay_task is None:
            raise RuntimeError("the outbox relay has not started")
        if self._relay_task.done():
            raise RuntimeError("the outbox relay stopped")

    def check_consumer(self) -> None:
        """Raises unless the consumer and its workers run."""
        if self.consumer is None:
            raise RuntimeError("the consumer has not started")
        self.consumer.check_alive()

    def _count_reconnect(self, *_: object) -> None:
        self.reconnects += 1
        log.info("reconnected to the broker", extra={"reconnects": self.reconnects})

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.connection is not None:
            await self.connection.close()


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("bus stopped", exc_info=task.exception())
