"""Exchange and queue names, and their declaration. The topology lives in code, not in a UI.

    {ns}.events   topic exchange; routing key = event type
    {ns}.{svc}    a service's durable queue, bound to exactly the types it subscribes to
    {ns}.retry    direct exchange -> {ns}.{svc}.retry.{delay}ms queues; their TTL expires
                  messages back into {ns}.{svc} through the default exchange
    {ns}.dead     direct exchange -> {ns}.{svc}.dead, where messages go after the last retry
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue


@dataclass(frozen=True)
class Topology:
    namespace: str

    @property
    def events_exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def retry_exchange(self) -> str:
        return f"{self.namespace}.retry"

    @property
    def dead_exchange(self) -> str:
        return f"{self.namespace}.dead"

    def queue(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def retry_queue(self, service: str, delay_ms: int) -> str:
        return f"{self.namespace}.{service}.retry.{delay_ms}ms"

    def dead_queue(self, service: str) -> str:
        return f"{self.namespace}.{service}.dead"

    async def declare_events_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(self.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)

    async def declare_service(
        self,
        channel: AbstractChannel,
        service: str,
        event_types: list[str],
        retry_delays_ms: list[int],
    ) -> ServiceQueues:
        events = await self.declare_events_exchange(channel)
        retry = await channel.declare_exchange(self.retry_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        dead = await channel.declare_exchange(self.dead_exchange, aio_pika.ExchangeType.DIRECT, durable=True)

        dead_queue = await channel.declare_queue(self.dead_queue(service), durable=True)
        await dead_queue.bind(dead, routing_key=self.queue(service))

        queue = await channel.declare_queue(
            self.queue(service),
            durable=True,
            # A message rejected without requeue (undecodable) goes straight to the dead queue.
            arguments={"x-dead-letter-exchange": self.dead_exchange, "x-dead-letter-routing-key": self.queue(service)},
        )
        for event_type in event_types:
            await queue.bind(events, routing_key=event_type)

        for delay in retry_delays_ms:
            name = self.retry_queue(service, delay)
            retry_queue = await channel.declare_queue(
                name,
                durable=True,
                # Queue-wide TTL (not per message) so a long delay never holds up a short one.
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue(service),
                },
            )
            await retry_queue.bind(retry, routing_key=name)
        return ServiceQueues(queue=queue, retry_exchange=retry, dead_exchange=dead)


@dataclass(frozen=True)
class ServiceQueues:
    queue: AbstractQueue
    retry_exchange: AbstractExchange
    dead_exchange: AbstractExchange
