"""A bus process that dies on purpose, for the crash tests (run as a subprocess).

    python bus_worker.py consume DB_URL AMQP_URL NAMESPACE   # dies after commit, before ack
    python bus_worker.py relay DB_URL AMQP_URL NAMESPACE N   # dies once N messages are confirmed, mid-batch
"""

from __future__ import annotations

import asyncio
import os
import sys

from bus_fixtures import Pinged, recording
from settle_kit.bus import relay as relay_module
from settle_kit.bus.consumer import Consumer
from settle_kit.bus.runtime import Bus
from settle_kit.bus.subscriptions import Subscriptions
from settle_kit.db import Database
from settle_kit.settings import ServiceSettings


class ConsumerKilledBeforeAck(Consumer):
    async def acknowledge(self, message) -> None:
        print("handled, dying before ack", flush=True)
        os._exit(17)


class RelayKilledMidBatch(relay_module.OutboxRelay):
    published = 0
    limit = 0

    async def publish(self, row) -> None:
        await super().publish(row)
        RelayKilledMidBatch.published += 1
        # Confirmed by the broker, batch not yet marked as published: the worst moment.
        if RelayKilledMidBatch.published == RelayKilledMidBatch.limit:
            print(f"published {RelayKilledMidBatch.published}, dying mid-batch", flush=True)
            os._exit(17)


async def main(mode: str, db_url: str, amqp_url: str, namespace: str, limit: str = "0") -> None:
    settings = ServiceSettings(
        service_name="beta" if mode == "consume" else "alpha",
        database_url=db_url,
        amqp_url=amqp_url,
        bus_namespace=namespace,
        bus_retry_delays_ms=[50, 100],
        run_relay=mode == "relay",
        run_consumer=mode == "consume",
        relay_batch_size=200,
    )
    db = Database(db_url)
    if mode == "consume":
        import settle_kit.bus.runtime as runtime

        runtime.Consumer = ConsumerKilledBeforeAck
        bus = Bus(settings, db, Subscriptions({Pinged: recording()}))
    else:
        import settle_kit.bus.runtime as runtime

        RelayKilledMidBatch.limit = int(limit)
        runtime.OutboxRelay = RelayKilledMidBatch
        bus = Bus(settings, db, Subscriptions({}))
    bus.start()
    print("started", flush=True)
    await asyncio.sleep(60)
    sys.exit("worker did not die in time")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
