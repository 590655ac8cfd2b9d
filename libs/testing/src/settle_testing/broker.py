"""Bus namespaces for tests: each test gets its own exchange and queue names on the broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import aio_pika

from settle_kit.bus.topology import Topology


@dataclass
class BusNamespace:
    amqp_url: str
    name: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    services: set[str] = field(default_factory=set)
    retry_delays_ms: list[int] = field(default_factory=lambda: [50, 100])

    @property
    def topology(self) -> Topology:
        return Topology(self.name)

    async def queue_depth(self, queue_name: str) -> int:
        connection = await aio_pika.connect(self.amqp_url)
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, passive=True)
            return queue.declaration_result.message_count or 0
        finally:
            await connection.close()

    async def delete(self) -> None:
        topology = self.topology
        connection = await aio_pika.connect(self.amqp_url)
        try:
            channel = await connection.channel()
            for service in self.services:
                names = [topology.queue(service), topology.dead_queue(service)]
                names += [topology.retry_queue(service, d) for d in self.retry_delays_ms]
                for name in names:
                    await channel.queue_delete(name)
            for name in (topology.events_exchange, topology.retry_exchange, topology.dead_exchange):
                await channel.exchange_delete(name)
        finally:
            await connection.close()
