"""A two-service world for bus tests: 'alpha' emits `test.pinged`, 'beta' records it.

Each service has its own real database with the kit's outbox and inbox tables; both talk to the
real broker under a namespace of their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from settle_contracts import Event
from settle_kit.bus.runtime import Bus
from settle_kit.bus.subscriptions import Subscriptions
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.settings import ServiceSettings
from settle_testing.databases import install_tables


class Pinged(Event):
    """Test-only event."""

    event_type = "test.pinged"
    n: int


test_metadata = MetaData()
# No unique key on purpose: a second application of one event would show as a second row.
effects = Table("effects", test_metadata, Column("id", Integer, primary_key=True), Column("n", Integer, nullable=False))


async def prepare_database(url: str) -> None:
    await install_tables(url, test_metadata)


def settings_for(service: str, database_url: str, namespace, **overrides) -> ServiceSettings:
    values = dict(
        service_name=service,
        database_url=database_url,
        amqp_url=namespace.amqp_url,
        bus_namespace=namespace.name,
        bus_retry_delays_ms=namespace.retry_delays_ms,
        relay_poll_interval_s=0.2,
    )
    values.update(overrides)
    return ServiceSettings(**values)


async def record(event: Pinged, uow: UnitOfWork) -> None:
    await uow.session.execute(insert(effects).values(n=event.n))


def recording(fail_when: Callable[[int], bool] = lambda n: False, calls: list[int] | None = None):
    async def handler(event: Pinged, uow: UnitOfWork) -> None:
        if calls is not None:
            calls.append(event.n)
        if fail_when(event.n):
            raise RuntimeError(f"poison {event.n}")
        await record(event, uow)

    return handler


async def emit(db: Database, *ns: int, commit: bool = True) -> None:
    async with UnitOfWork(db, "alpha") as uow:
        for n in ns:
            uow.emit(Pinged(n=n))
        if commit:
            await uow.commit()


async def counts(db: Database) -> dict[int, int]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(effects.c.n, func.count()).group_by(effects.c.n))).all()
    return {n: c for n, c in rows}


async def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


async def start_bus(settings: ServiceSettings, db: Database, handlers: dict | None = None) -> Bus:
    bus = Bus(settings, db, Subscriptions(handlers or {}))
    bus.start()
    await wait_for(_ready(bus, expect_consumer=bool(handlers) and settings.run_consumer))
    return bus


def _ready(bus: Bus, expect_consumer: bool):
    async def check() -> bool:
        if not bus.connected:
            return False
        return bus.consumer is not None if expect_consumer else True

    return check
