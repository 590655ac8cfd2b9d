"""The database pool on the real PostgreSQL: connections the server closed are never handed out."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from settle_kit.db import Database, Statement, asyncpg_dsn

_ONE = Statement("SELECT CAST(:n AS int) AS n")


async def test_connections_the_server_closed_are_replaced_without_a_failed_request(database_factory):
    url = await database_factory("delta")
    db = Database(url, pool_size=4)
    try:
        async def both() -> None:
            async with db.sessions() as session:
                assert await session.scalar(text("SELECT 1")) == 1
            async with db.autocommit() as conn:
                assert (await _ONE.fetchrow(conn, n=2))["n"] == 2

        await asyncio.gather(*(both() for _ in range(4)))  # the pool now holds open connections
        admin = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                make_url(url).database,
            )
        finally:
            await admin.close()
        assert ended >= 1
        await asyncio.sleep(0.2)  # the sockets' closing reaches the event loop
        await asyncio.gather(*(both() for _ in range(4)))
    finally:
        await db.dispose()
