"""Bus benchmark: outbox insert -> relay -> RabbitMQ -> consumer + inbox commit.

Prints, from one run on one broker and one PostgreSQL:
  - raw aio-pika confirmed publishing (batched, and one at a time): the ceiling;
  - end-to-end events/s through the outbox relay and the inbox (ratio to the raw batched rate);
  - p50/p99 latency from outbox insert to the consumer's commit at a steady 500 events/s.

    make bench   (or: .venv/bin/python bench/bus.py [--events 10000] [--rate 500] [--seconds 10])

Figures are reported, not asserted. The consumer runs in its own process, as a service would.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import uvloop
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).parent))

from _bus_world import BenchPinged, arrivals, prepare  # noqa: E402
from settle_kit.bus.relay import OutboxRelay  # noqa: E402
from settle_kit.bus.uow import UnitOfWork  # noqa: E402
from settle_kit.db import Database  # noqa: E402
from settle_testing import databases  # noqa: E402
from settle_testing.broker import BusNamespace  # noqa: E402
from settle_testing.infra import amqp_url  # noqa: E402


async def raw_publish_rates(url: str, namespace: str, count: int) -> tuple[float, float]:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(f"{namespace}.raw", aio_pika.ExchangeType.TOPIC, auto_delete=True)
        queue = await channel.declare_queue(f"{namespace}.raw", auto_delete=True)
        await queue.bind(exchange, "raw")
        body = b'{"id":"00000000-0000-0000-0000-000000000000","type":"bench.raw","data":{"n":1}}'

        def message() -> aio_pika.Message:
            return aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)

        start = time.perf_counter()
        for chunk in range(0, count, 200):
            await asyncio.gather(*(exchange.publish(message(), "raw") for _ in range(min(200, count - chunk))))
        batched = count / (time.perf_counter() - start)

        single_count = count // 3
        start = time.perf_counter()
        for _ in range(single_count):
            await exchange.publish(message(), "raw")
        single = single_count / (time.perf_counter() - start)
        await queue.purge()
        await queue.delete(if_unused=False, if_empty=False)
    return batched, single


async def emit(db: Database, numbers: range) -> None:
    async with UnitOfWork(db, "bench_producer") as uow:
        now = datetime.now(UTC)
        for n in numbers:
            uow.emit(BenchPinged(n=n, emitted_at=now))
        await uow.commit()


async def arrived(db: Database) -> int:
    async with db.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(arrivals))


async def wait_arrivals(db: Database, expected: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while (count := await arrived(db)) < expected:
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {count}/{expected} events arrived within {timeout}s")
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def throughput(producer_db: Database, consumer_db: Database, exchange, events: int) -> float:
    for start in range(0, events, 100):  # producers commit 100 events per transaction
        await emit(producer_db, range(start, min(start + 100, events)))
    begin = time.perf_counter()
    relay_task = asyncio.create_task(_relay(producer_db, exchange))
    end = await wait_arrivals(consumer_db, events, timeout=300)
    relay_task.cancel()
    return events / (end - begin)


async def latency(producer_db: Database, consumer_db: Database, exchange, rate: int, seconds: int, offset: int) -> list[float]:
    relay_task = asyncio.create_task(_relay(producer_db, exchange))
    interval = 1 / rate
    total = rate * seconds
    start = time.perf_counter()
    for i in range(total):  # one event per transaction, at a steady rate
        await emit(producer_db, range(offset + i, offset + i + 1))
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await wait_arrivals(consumer_db, offset + total, timeout=120)
    relay_task.cancel()
    async with consumer_db.engine.connect() as conn:
        rows = await conn.execute(
            select(text("extract(epoch from handled_at - emitted_at) * 1000")).select_from(arrivals).where(arrivals.c.n >= offset)
        )
        return sorted(float(r[0]) for r in rows)


async def _relay(db: Database, exchange) -> None:
    await OutboxRelay(db, exchange, batch_size=200, poll_interval_s=0.5).run()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    namespace = BusNamespace(amqp_url(), services={"bench_consumer"}, retry_delays_ms=[1000])
    producer_url, consumer_url = await databases.create("bench_producer"), await databases.create("bench_consumer")
    consumer = None
    connection = None
    try:
        await prepare(producer_url)
        await prepare(consumer_url)
        batched, single = await raw_publish_rates(namespace.amqp_url, namespace.name, 6000)

        consumer = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_bus_consumer.py")), consumer_url, namespace.amqp_url, namespace.name],
            stdout=subprocess.PIPE,
        )
        assert consumer.stdout.readline().strip() == b"ready"
        connection = await aio_pika.connect_robust(namespace.amqp_url)
        channel = await connection.channel(publisher_confirms=True)
        exchange = await namespace.topology.declare_events_exchange(channel)
        producer_db, consumer_db = Database(producer_url, pool_size=10), Database(consumer_url)

        e2e = await throughput(producer_db, consumer_db, exchange, args.events)
        lat = await latency(producer_db, consumer_db, exchange, args.rate, args.seconds, offset=args.events)

        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print()
        print("Settle bus benchmark (one broker, one PostgreSQL, this machine)")
        print(f"  raw aio-pika confirmed publish, batched     {batched:9.0f} msg/s")
        print(f"  raw aio-pika confirmed publish, one by one  {single:9.0f} msg/s")
        print(f"  end to end: outbox -> relay -> inbox commit {e2e:9.0f} events/s  ({e2e / batched:.2f} x raw batched)")
        print(f"  latency at {args.rate} events/s for {args.seconds}s     p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({len(lat)} events)")
    finally:
        if consumer is not None:
            consumer.kill()
        if connection is not None:
            await connection.close()
        await namespace.delete()
        await databases.drop(producer_url)
        await databases.drop(consumer_url)


if __name__ == "__main__":
    # uvloop, as under uvicorn in the services themselves.
    uvloop.run(main())
