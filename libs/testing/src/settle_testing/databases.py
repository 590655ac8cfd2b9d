"""Fresh, uniquely named databases for a test, dropped afterwards."""

from __future__ import annotations

import uuid

from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from settle_kit.bus import schema

from settle_kit.db import drop_database, ensure_database
from settle_testing.infra import postgres_url


def unique_database_url(label: str) -> str:
    name = f"settle_t_{label}_{uuid.uuid4().hex[:10]}"
    return make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


async def create(label: str) -> str:
    url = unique_database_url(label)
    await ensure_database(url)
    return url


async def drop(url: str) -> None:
    await drop_database(url)


async def install_tables(url: str, *metadatas: MetaData) -> None:
    """A service-like database without migrations: the kit's outbox, inbox and dead letters, plus `metadatas`."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(schema.install)
            await conn.run_sync(lambda c: schema.metadata.create_all(c, tables=[schema.dead_letters]))
            for metadata in metadatas:
                await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
