"""Shared by bench/bus.py and its consumer process: the bench event and the arrivals table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, text

from settle_contracts import Event
from settle_kit.bus.uow import UnitOfWork
from settle_testing.databases import install_tables


class BenchPinged(Event):
    """Benchmark-only event."""

    event_type = "bench.pinged"
    n: int
    emitted_at: datetime


metadata = MetaData()
arrivals = Table(
    "arrivals",
    metadata,
    Column("n", Integer, nullable=False),
    Column("emitted_at", DateTime(timezone=True), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
)


async def prepare(url: str) -> None:
    await install_tables(url, metadata)


_INSERT_ARRIVAL = insert(arrivals)


async def record_arrival(event: BenchPinged, uow: UnitOfWork) -> None:
    await uow.session.execute(_INSERT_ARRIVAL, {"n": event.n, "emitted_at": event.emitted_at})
