"""Pruning of bookkeeping rows on the real database: old ones go, recent and unpublished stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, text

from settle_kit import retention
from settle_kit.bus.schema import inbox, install, outbox
from settle_kit.db import Database
from settle_kit.idempotency import idempotency_keys, metadata as idempotency_metadata
from settle_kit.models import utcnow
from settle_kit.retention import prune_once, retention_of
from settle_kit.settings import ServiceSettings


async def test_pruning_leaves_the_last_30_days_of_inbox_ids_and_idempotency_keys_and_a_week_of_outbox(database_factory, monkeypatch):
    db = Database(await database_factory("retention"))
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches, as a big table would take
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(install)
            await conn.run_sync(idempotency_metadata.create_all)
            now = utcnow()
            old, week_old, recent = now - timedelta(days=40), now - timedelta(days=6), now - timedelta(hours=1)
            rows = {name: uuid.uuid4() for name in ("old_sent", "old_unsent", "week_sent", "recent_sent")}
            await conn.execute(insert(outbox), [
                {"id": rows["old_sent"], "type": "t", "envelope": {}, "created_at": old, "published_at": old},
                {"id": rows["old_unsent"], "type": "t", "envelope": {}, "created_at": old, "published_at": None},
                # Older than the relay's former hard-coded 3 days, younger than the configured 7.
                {"id": rows["week_sent"], "type": "t", "envelope": {}, "created_at": week_old, "published_at": week_old},
                {"id": rows["recent_sent"], "type": "t", "envelope": {}, "created_at": recent, "published_at": recent},
            ])
            days = {n: now - timedelta(days=n) for n in (1, 3, 29, 31, 45)}
            kept_inbox = {n: uuid.uuid4() for n in days}
            await conn.execute(insert(inbox), [{"event_id": kept_inbox[n], "type": "t", "handled_at": at} for n, at in days.items()])
            await conn.execute(insert(idempotency_keys), [
                {"principal": "u", "key": f"{n}-days", "operation": "op", "request_hash": "h", "status_code": 201,
                 "response": {"id": n}, "created_at": at}
                for n, at in days.items()
            ])

        removed = await prune_once(db, retention_of(ServiceSettings()))

        assert removed == {"outbox": 1, "inbox": 2, "idempotency_keys": 2}
        async with db.engine.connect() as conn:
            assert set(await conn.scalars(select(outbox.c.id))) == {rows["old_unsent"], rows["week_sent"], rows["recent_sent"]}
            assert set(await conn.scalars(select(inbox.c.event_id))) == {kept_inbox[n] for n in (1, 3, 29)}
            # Keys and their stored answers: the last 30 days, as Stripe's v2 API keeps them.
            assert set(await conn.scalars(select(idempotency_keys.c.key))) == {"1-days", "3-days", "29-days"}
            await conn.execute(text("DROP TABLE idempotency_keys"))
            await conn.commit()
        assert "idempotency_keys" not in await prune_once(db, retention_of(ServiceSettings()))
    finally:
        await db.dispose()


def test_idempotency_keys_are_kept_at_least_a_day_whatever_is_configured():
    assert ServiceSettings().idempotency_retention_h == 720
    assert ServiceSettings(idempotency_retention_h=24).idempotency_retention_h == 24
    try:
        ServiceSettings(idempotency_retention_h=23)
    except ValueError:
        pass
    else:
        raise AssertionError("a retention under 24 hours was accepted")
