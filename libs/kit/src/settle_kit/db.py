"""Database access: an async engine and session factory per service, and database creation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            # No overflow: connections above the pool were closed as soon as they were returned,
            # so a busy service kept reconnecting (a third of its CPU). Size the pool instead.
            max_overflow=0,
            # No ping before each checkout: asyncpg's costs three round trips (BEGIN, ping,
            # ROLLBACK) on every request. `_discard_closed` does the same job without one.
            pool_pre_ping=False,
            # A database that stops answering must fail fast, not hang requests.
            connect_args={"timeout": 5, "command_timeout": 30},
            echo=echo,
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.engine.sync_engine.pool, "checkout", _discard_closed)
        # Set by whoever commits outbox rows through this database; this process's relay wakes on
        # it (settle_kit.bus.schema.drop_outbox_trigger says why not a NOTIFY).
        self.outbox_written = asyncio.Event()
        # This process's work queues by name (settle_kit.work_queue): whoever commits work for one
        # wakes it through `wake(name)` instead of leaving it to the next poll.
        self.wakers: dict[str, Callable[[], None]] = {}

    def wake(self, queue: str) -> None:
        if (waker := self.wakers.get(queue)) is not None:
            waker()

    async def ping(self, timeout: float = 2.0) -> None:
        async def _ping() -> None:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        await asyncio.wait_for(_ping(), timeout)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection outside any transaction, for work done in one statement: the
        statement commits as it runs, so the rows it locks are held for no round trip (a hot
        wallet's row is free again as soon as its debit is written)."""
        # The pool's connection itself, without a SQLAlchemy Connection around it (a third of
        # the cost of a one-statement request was building and tearing that down).
        pooled = await self.engine.raw_connection()
        try:
            yield pooled.driver_connection
        finally:
            await greenlet_spawn(pooled.close)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _discard_closed(dbapi_connection, record, proxy) -> None:
    """A pooled connection whose socket the server closed (a restart, a terminated backend) is
    not handed out: the pool drops it and checks out another, without a round trip."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


class Statement:
    """SQL with named parameters, compiled once to asyncpg's numbered form."""

    def __init__(self, sql: str) -> None:
        compiled = text(sql).compile(dialect=asyncpg_dialect())
        self.sql: str = compiled.string
        self.names: list[str] = list(compiled.positiontup or ())

    async def fetchrow(self, conn: asyncpg.Connection, **params: Any) -> asyncpg.Record | None:
        return await conn.fetchrow(self.sql, *self._values(params))

    async def fetch(self, conn: asyncpg.Connection, **params: Any) -> list[asyncpg.Record]:
        return await conn.fetch(self.sql, *self._values(params))

    async def execute(self, conn: asyncpg.Connection, **params: Any) -> None:
        await conn.execute(self.sql, *self._values(params))

    def _values(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """SQLAlchemy URL -> plain DSN that asyncpg accepts (optionally for another database)."""
    sa_url = make_url(url).set(drivername="postgresql")
    if database is not None:
        sa_url = sa_url.set(database=database)
    return sa_url.render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Creates the URL's database when it is missing; returns whether it created it."""
    name = make_url(url).database
    conn = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # created meanwhile by a concurrent migrate
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
