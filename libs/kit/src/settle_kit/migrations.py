"""Alembic glue shared by the services: create the database when missing, then upgrade.

A service's `migrations/env.py` calls `run_env(metadata)`; its `<service>.migrate` module
calls `migrate(settings, alembic_ini)`, which is what `make migrate` runs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from settle_kit.db import ensure_database
from settle_kit.settings import ServiceSettings

log = logging.getLogger(__name__)


def migrate(settings: ServiceSettings, alembic_ini: Path) -> None:
    created = asyncio.run(ensure_database(settings.database_url))
    if created:
        print(f"{settings.service_name}: created database")
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")
    print(f"{settings.service_name}: migrated to head")


def run_env(target_metadata: MetaData) -> None:
    url = context.config.attributes["database_url"]

    def do_run(connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())
