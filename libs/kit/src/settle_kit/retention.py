"""Retention: the bookkeeping tables that only grow are pruned on a schedule.

- Published outbox rows, after `outbox_retention_h` (default 7 days): kept a while to inspect
  or replay by hand; unpublished rows are never touched, whatever their age.
- Inbox ids, after `inbox_retention_h` (default 30 days): far beyond any redelivery (retries are
  seconds apart), so only a dead-lettered message replayed by hand after that would be handled
  again — and handlers are idempotent on their own keys too.
- Idempotency keys and the answers stored with them, after `idempotency_retention_h` (default
  30 days, as Stripe's v2 API keeps them; at least 24 hours, as API.md promises).

This is the one place that prunes them. Deletes go in small batches, each its own short
transaction that skips rows someone else holds, so pruning never holds many locks or a long
transaction, and replicas pruning at once only share the work.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import text

from settle_kit.db import Database
from settle_kit.models import utcnow
from settle_kit.settings import ServiceSettings
from settle_kit.work_loop import WorkLoop

log = logging.getLogger(__name__)

BATCH = 1000
_PRUNE = {
    "outbox": "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE published_at < :before LIMIT :batch FOR UPDATE SKIP LOCKED)",
    "inbox": "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE handled_at < :before LIMIT :batch FOR UPDATE SKIP LOCKED)",
    "idempotency_keys": (
        "DELETE FROM idempotency_keys WHERE (principal, key) IN "
        "(SELECT principal, key FROM idempotency_keys WHERE created_at < :before LIMIT :batch FOR UPDATE SKIP LOCKED)"
    ),
}


async def prune_once(db: Database, keep: dict[str, timedelta]) -> dict[str, int]:
    """Deletes what is older than `keep[table]` from each table the service has; returns counts."""
    removed: dict[str, int] = {}
    now = utcnow()
    for table, age in keep.items():
        async with db.engine.connect() as conn:
            if await conn.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is None:
                continue  # e.g. a service without idempotency keys
        removed[table] = 0
        while True:
            async with db.engine.begin() as conn:
                count = (await conn.execute(text(_PRUNE[table]), {"before": now - age, "batch": BATCH})).rowcount
            removed[table] += count
            if count < BATCH:
                break
    return removed


def retention_of(settings: ServiceSettings) -> dict[str, timedelta]:
    return {
        "outbox": timedelta(hours=settings.outbox_retention_h),
        "inbox": timedelta(hours=settings.inbox_retention_h),
        "idempotency_keys": timedelta(hours=settings.idempotency_retention_h),
    }


async def run_retention(db: Database, settings: ServiceSettings) -> None:
    keep = retention_of(settings)

    async def prune() -> int:
        removed = await prune_once(db, keep)
        if any(removed.values()):
            log.info("pruned bookkeeping rows", extra={"removed": removed})
        return 0  # prune_once drains each table itself: nothing is left until the next round

    await WorkLoop("retention", prune, settings.retention_interval_s).run()
