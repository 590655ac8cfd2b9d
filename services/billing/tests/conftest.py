"""A migrated billing database on the real PostgreSQL, for tests of billing's own rules."""

from __future__ import annotations

import asyncio
import contextlib
import io

import pytest

from settle_kit.db import Database, drop_database
from settle_kit.migrations import migrate
from settle_testing import databases

from billing.config import Settings
from billing.migrate import ALEMBIC_INI


@pytest.fixture(scope="module")
def billing_database_url(pg_server_url: str):
    url = databases.unique_database_url("billing")
    with contextlib.redirect_stdout(io.StringIO()):
        migrate(Settings(database_url=url), ALEMBIC_INI)
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture(scope="module")
def loop_and_db(billing_database_url: str):
    """One event loop for the module, so a synchronous test (hypothesis) can drive async code."""
    loop = asyncio.new_event_loop()
    db = Database(billing_database_url)
    yield loop, db
    loop.run_until_complete(db.dispose())
    loop.close()
