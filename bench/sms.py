"""SMS benchmark: `notifications.sms.requested` on the bus -> notifications' consumer -> the sender
queue -> Twilio (simulators/twilio, through the official SDK) -> the SMS recorded `sent`.

Prints, from one run on one broker and one PostgreSQL:
  - raw aio-pika confirmed publishing (bench/bus.py's measure), the bus's ceiling;
  - texts/s from asking to `sent` for a burst of requests;
  - p50/p99 of that delay (the request's publish time to the SMS's `sent_at`) at a steady rate.

    .venv/bin/python bench/sms.py [--texts 2000] [--rate 50] [--seconds 10]

notifications and the simulator run as their own processes, as in the platform; the simulator
sends its status callbacks (queued, sending, sent, delivered) to notifications as Twilio would.
Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))

from bus import raw_publish_rates  # noqa: E402
from settle_contracts import Envelope  # noqa: E402
from settle_contracts.notifications import SmsRequested  # noqa: E402
from settle_kit.bus.messages import build_message  # noqa: E402
from settle_kit.db import asyncpg_dsn  # noqa: E402
from settle_testing import databases  # noqa: E402
from settle_testing.broker import BusNamespace  # noqa: E402
from settle_testing.infra import amqp_url  # noqa: E402
from settle_testing.platform import free_port, wait_port  # noqa: E402


def request(n: int, run: str) -> Envelope:
    # Twilio's test number, which the simulator delivers.
    event = SmsRequested(to_phone="+15005550006", body=f"Hi! Your balance of $30.00 is ready ({run} #{n}).", kind="confirmation", requested_by="bench")
    return Envelope.wrap(event, producer="bench")


async def publish(exchange, envelopes: list[Envelope]) -> None:
    await asyncio.gather(*(exchange.publish(build_message(e.model_dump(mode="json"), {}), e.type) for e in envelopes))


async def sent_delays(conn: asyncpg.Connection, asked: dict[str, datetime], timeout: float) -> list[float]:
    """Waits until every asked SMS is sent; the delay of each, in ms (and, to stderr, the median
    part of it spent before notifications' consumer committed the SMS)."""
    deadline = time.monotonic() + timeout
    ids = list(asked)
    while True:
        rows = await conn.fetch("SELECT id, created_at, sent_at FROM sms WHERE id = ANY($1) AND sent_at IS NOT NULL", ids)
        if len(rows) == len(ids) or time.monotonic() > deadline:
            consumed = [(row["created_at"] - asked[row["id"]]).total_seconds() * 1000 for row in rows]
            print(f"    (median ask -> SMS recorded by the consumer: {statistics.median(consumed):.1f} ms)", file=sys.stderr)
            return [(row["sent_at"] - asked[row["id"]]).total_seconds() * 1000 for row in rows]
        await asyncio.sleep(0.05)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    namespace = BusNamespace(amqp_url(), services={"notifications"}, retry_delays_ms=[1000])
    database_url = databases.unique_database_url("bench_sms")
    port, twilio_port, token = free_port(), free_port(), secrets.token_hex(16)
    env = {
        **os.environ, "SETTLE_ENV": "development", "AMQP_URL": namespace.amqp_url, "BUS_NAMESPACE": namespace.name,
        "BUS_RETRY_DELAYS_MS": "1000", "LOG_LEVEL": "WARNING", "NOTIFICATIONS_DATABASE_URL": database_url,
        "NOTIFICATIONS_PORT": str(port), "NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TWILIO_API_BASE": f"http://127.0.0.1:{twilio_port}", "TWILIO_AUTH_TOKEN": token,
    }
    processes: list[subprocess.Popen] = []
    connection = None
    try:
        subprocess.run([sys.executable, "-m", "notifications.migrate"], env=env, check=True, capture_output=True)
        batched, single = await raw_publish_rates(namespace.amqp_url, namespace.name, 6000)
        processes.append(subprocess.Popen([sys.executable, "-m", "twilio_sim", "--port", str(twilio_port), "--auth-token", token,
                                           "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(twilio_port)
        processes.append(subprocess.Popen([sys.executable, "-m", "notifications"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "notifications did not become ready"
            await asyncio.sleep(0.2)

        connection = await aio_pika.connect_robust(namespace.amqp_url)
        channel = await connection.channel(publisher_confirms=True)
        exchange = await namespace.topology.declare_events_exchange(channel)
        conn = await asyncpg.connect(asyncpg_dsn(database_url))

        # Burst: every request published at once; texts/s until the last is sent.
        burst = [request(n, "burst") for n in range(args.texts)]
        asked = {SmsRequested.sms_id(e.id): e.occurred_at for e in burst}
        started = time.perf_counter()
        for i in range(0, len(burst), 200):
            await publish(exchange, burst[i : i + 200])
        delays = await sent_delays(conn, asked, timeout=600)
        elapsed = time.perf_counter() - started
        rate = len(delays) / elapsed

        # Steady: an open loop at --rate, each request stamped when it is due.
        steady: dict[str, datetime] = {}
        interval, begin = 1 / args.rate, time.perf_counter()
        for n in range(args.rate * args.seconds):
            await asyncio.sleep(max(0.0, begin + n * interval - time.perf_counter()))
            envelope = request(args.texts + n, "steady")
            steady[SmsRequested.sms_id(envelope.id)] = envelope.occurred_at
            await publish(exchange, [envelope])
        latencies = sorted(await sent_delays(conn, steady, timeout=120))
        await conn.close()

        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print()
        print(f"Settle SMS benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, one broker, one PostgreSQL, Twilio simulator)")
        print(f"  raw aio-pika confirmed publish, batched     {batched:9.0f} msg/s")
        print(f"  raw aio-pika confirmed publish, one by one  {single:9.0f} msg/s")
        print(f"  asked -> sent, burst of {args.texts}             {rate:9.0f} texts/s  ({len(delays)} sent in {elapsed:.1f} s)")
        print(f"  asked -> sent at {args.rate}/s for {args.seconds}s           p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({len(latencies)} texts)")
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if connection is not None:
            await connection.close()
        await namespace.delete()
        await databases.drop(database_url)


if __name__ == "__main__":
    asyncio.run(main())
