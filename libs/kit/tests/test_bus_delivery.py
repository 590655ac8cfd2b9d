"""Outbox -> relay -> broker -> consumer -> inbox, across two services with their own databases."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bus_fixtures import Pinged, counts, emit, record, recording, settings_for, start_bus, wait_for
from settle_kit.bus.schema import inbox
from settle_kit.bus.subscriptions import Batched, Only
from settle_kit.db import Database


async def test_committed_event_reaches_the_other_service_and_a_rolled_back_one_never_does(world):
    alpha_db, beta_db, ns = world
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        await emit(alpha_db, 1)
        await emit(alpha_db, 2, commit=False)
        await emit(alpha_db, 3)
        await wait_for(lambda: _has(beta_db, 3))
        assert await counts(beta_db) == {1: 1, 3: 1}
    finally:
        await alpha.stop()
        await beta.stop()


async def test_a_redelivered_event_has_no_second_effect(world):
    alpha_db, beta_db, ns = world
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        await emit(alpha_db, 7)
        await wait_for(lambda: _has(beta_db, 7))
        # Publish the same outbox row again, as a relay that crashed before marking it would.
        async with alpha_db.engine.begin() as conn:
            from sqlalchemy import update
            from settle_kit.bus.schema import outbox

            await conn.execute(update(outbox).values(published_at=None))
        await emit(alpha_db, 8)
        await wait_for(lambda: _has(beta_db, 8))
        assert await counts(beta_db) == {7: 1, 8: 1}
    finally:
        await alpha.stop()
        await beta.stop()


async def _has(db, n):
    return n in await counts(db)


async def test_events_a_subscription_does_not_want_are_acked_without_a_transaction(world):
    alpha_db, beta_db, ns = world
    calls: list[int] = []
    only_even = Only(recording(calls=calls), when=lambda event: event.n % 2 == 0)
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: only_even})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        await emit(alpha_db, 1, 2, 3, 4)
        await wait_for(lambda: _has(beta_db, 4))
        assert await counts(beta_db) == {2: 1, 4: 1}
        assert sorted(calls) == [2, 4]
        async with beta_db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(inbox)) == 2, "no inbox row for the unwanted"
    finally:
        await alpha.stop()
        await beta.stop()
    # Stopped, the consumer would have handed back whatever it had not acknowledged.
    assert await ns.queue_depth(ns.topology.queue("beta")) == 0, "every message acknowledged"


async def test_the_relay_publishes_its_own_process_s_events_at_once(world):
    """The outbox has no NOTIFY trigger (it serialised every commit that emitted an event): a
    commit through the relay's own Database wakes it, long before its next poll. A row written
    by another process goes out with the relay's next round."""
    alpha_db, beta_db, ns = world
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False, relay_poll_interval_s=60), alpha_db)
    elsewhere = Database(alpha_db.url)  # another process's connection to alpha's database
    try:
        await asyncio.sleep(0.3)  # the relay's first round is over: it waits for the next
        began = time.monotonic()
        await emit(alpha_db, 1)
        await wait_for(lambda: _has(beta_db, 1), timeout=10)
        assert time.monotonic() - began < 2

        await emit(elsewhere, 2)
        await emit(alpha_db, 3)
        await wait_for(lambda: _has(beta_db, 3), timeout=10)
        assert await counts(beta_db) == {1: 1, 2: 1, 3: 1}
    finally:
        await elsewhere.dispose()
        await alpha.stop()
        await beta.stop()


async def test_a_batched_handler_takes_a_burst_at_once_and_a_poison_event_fails_alone(world):
    alpha_db, beta_db, ns = world
    runs: list[list[int]] = []

    async def record_run(events: list[Pinged], uow) -> None:
        runs.append([e.n for e in events])
        if any(e.n == 13 for e in events):
            raise RuntimeError("poison 13")
        for event in events:
            await record(event, uow)

    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: Batched(record_run)})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        await emit(alpha_db, *range(100, 150))  # one commit: the relay publishes them together
        await wait_for(lambda: _count(beta_db, 50))
        assert await counts(beta_db) == {n: 1 for n in range(100, 150)}
        assert max(len(run) for run in runs) > 1, runs

        runs.clear()
        await emit(alpha_db, 1, 13, 2)
        await wait_for(lambda: _count(beta_db, 52))
        assert {n: c for n, c in (await counts(beta_db)).items() if n < 100} == {1: 1, 2: 1}
        assert [1] in runs and [2] in runs, runs  # after the run failed, each event went alone
    finally:
        await alpha.stop()
        await beta.stop()


async def _count(db, expected: int) -> bool:
    return sum((await counts(db)).values()) >= expected
