"""One place prunes the outbox: the kit's retention, with the configured retention. The relay
publishes and leaves published rows alone (it used to delete those older than a hard-coded 3
days, whatever was configured)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from bus_fixtures import emit, prepare_database, settings_for, start_bus, wait_for
from settle_kit.bus.schema import outbox
from settle_kit.db import Database
from settle_kit.models import utcnow
from settle_kit.retention import prune_once, retention_of


async def test_published_outbox_rows_younger_than_the_configured_retention_survive_the_relay_and_pruning(database_factory, bus_namespace):
    url = await database_factory("alpha")
    await prepare_database(url)
    db = Database(url)
    settings = settings_for("alpha", url, bus_namespace, outbox_retention_h=168)
    four_days, eight_days = utcnow() - timedelta(days=4), utcnow() - timedelta(days=8)
    young, old = uuid.uuid4(), uuid.uuid4()
    async with db.engine.begin() as conn:
        await conn.execute(insert(outbox), [
            {"id": young, "type": "t", "envelope": {}, "created_at": four_days, "published_at": four_days},
            {"id": old, "type": "t", "envelope": {}, "created_at": eight_days, "published_at": eight_days},
        ])
    bus = await start_bus(settings, db)
    try:
        # Two rounds of the relay: anything it did after publishing the first event is done.
        for n in (1, 2):
            await emit(db, n)
            await wait_for(lambda: _all_published(db))
        assert {young, old} <= await _ids(db)

        removed = await prune_once(db, retention_of(settings))
        assert removed["outbox"] == 1
        ids = await _ids(db)
        assert young in ids and old not in ids
    finally:
        await bus.stop()
        await db.dispose()


async def _ids(db: Database) -> set:
    async with db.engine.connect() as conn:
        return set(await conn.scalars(select(outbox.c.id)))


async def _all_published(db: Database) -> bool:
    async with db.engine.connect() as conn:
        return not list(await conn.scalars(select(outbox.c.seq).where(outbox.c.published_at.is_(None))))
