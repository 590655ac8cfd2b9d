"""Pruning of bookkeeping rows on the real database: old ones go, recent and unpublished stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, text

from settle_kit.bus.schema import inbox, install, outbox
from settle_kit.db import Database
from settle_kit.idempotency import idempotency_keys, metadata as idempotency_metadata
from settle_kit.models import utcnow
from settle_kit.retention import prune_once, retention_of
from settle_kit.settings import ServiceSettings


async def test_old_bookkeeping_rows_are_pruned_and_everything_else_kept(database_factory):
    db = Database(await database_factory("retention"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(install)
            await conn.run_sync(idempotency_metadata.create_all)
            now = utcnow()
            old, recent = now - timedelta(days=40), now - timedelta(hours=1)
            rows = {name: uuid.uuid4() for name in ("old_sent", "old_unsent", "recent_sent", "old_inbox", "recent_inbox")}
            await conn.execute(insert(outbox), [
                {"id": rows["old_sent"], "type": "t", "envelope": {}, "created_at": old, "published_at": old},
                {"id": rows["old_unsent"], "type": "t", "envelope": {}, "created_at": old, "published_at": None},
                {"id": rows["recent_sent"], "type": "t", "envelope": {}, "created_at": recent, "published_at": recent},
            ])
            await conn.execute(insert(inbox), [
                {"event_id": rows["old_inbox"], "type": "t", "handled_at": old},
                {"event_id": rows["recent_inbox"], "type": "t", "handled_at": recent},
            ])
            await conn.execute(insert(idempotency_keys), [
                {"principal": "u", "key": "three-days", "operation": "op", "request_hash": "h", "created_at": now - timedelta(days=3)},
                {"principal": "u", "key": "a-day", "operation": "op", "request_hash": "h", "created_at": now - timedelta(hours=25)},
            ])

        removed = await prune_once(db, retention_of(ServiceSettings()))

        assert removed == {"outbox": 1, "inbox": 1, "idempotency_keys": 1}
        async with db.engine.connect() as conn:
            assert set(await conn.scalars(select(outbox.c.id))) == {rows["old_unsent"], rows["recent_sent"]}
            assert set(await conn.scalars(select(inbox.c.event_id))) == {rows["recent_inbox"]}
            # API.md promises keys for at least 24 hours; the default keeps them 48.
            assert list(await conn.scalars(select(idempotency_keys.c.key))) == ["a-day"]
            await conn.execute(text("DROP TABLE idempotency_keys"))
            await conn.commit()
        assert "idempotency_keys" not in await prune_once(db, retention_of(ServiceSettings()))
    finally:
        await db.dispose()
