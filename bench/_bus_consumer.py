"""The consuming service of bench/bus.py, as its own process. Args: DB_URL AMQP_URL NAMESPACE"""

import asyncio
import sys

import uvloop

from _bus_world import BenchPinged, record_arrival
from settle_kit.bus.runtime import Bus
from settle_kit.bus.subscriptions import Subscriptions
from settle_kit.db import Database
from settle_kit.settings import ServiceSettings


async def main(db_url: str, amqp_url: str, namespace: str) -> None:
    settings = ServiceSettings(
        service_name="bench_consumer", database_url=db_url, amqp_url=amqp_url, bus_namespace=namespace,
        run_relay=False, bus_retry_delays_ms=[1000], database_pool_size=20,
    )
    bus = Bus(settings, Database(db_url, pool_size=20), Subscriptions({BenchPinged: record_arrival}))
    bus.start()
    while bus.consumer is None:
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    # uvloop, as under uvicorn in the services themselves.
    uvloop.run(main(*sys.argv[1:]))
