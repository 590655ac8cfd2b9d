"""Processes killed at the worst moments lose nothing and apply nothing twice."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import func, select

from bus_fixtures import Pinged, counts, emit, recording, settings_for, start_bus, wait_for
from settle_kit.bus.schema import inbox, outbox

WORKER = Path(__file__).with_name("bus_worker.py")




async def run_worker(*args: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), *args, cwd=WORKER.parent, stdout=asyncio.subprocess.PIPE
    )
    assert (await asyncio.wait_for(process.stdout.readline(), 20)).strip() == b"started"
    return process


async def test_a_consumer_killed_after_its_handler_but_before_the_ack_applies_the_redelivery_once(world):
    alpha_db, beta_db, ns = world
    worker = await run_worker("consume", beta_db.url, ns.amqp_url, ns.name)
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    beta = None
    try:
        await wait_for(lambda: _queue_exists(ns))
        await emit(alpha_db, 1)
        assert await asyncio.wait_for(worker.wait(), 20) == 17
        assert await counts(beta_db) == {1: 1}  # the handler's transaction committed
        # The broker took the unacked message back when the process died.
        await wait_for(lambda: _depth_is(ns, 1))

        beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
        await wait_for(lambda: _depth_is(ns, 0))
        await emit(alpha_db, 2)
        await wait_for(lambda: _has(beta_db, 2))
        assert await counts(beta_db) == {1: 1, 2: 1}
    finally:
        if worker.returncode is None:
            worker.kill()
        await alpha.stop()
        if beta:
            await beta.stop()


async def test_a_relay_killed_mid_batch_resumes_with_nothing_lost_and_nothing_applied_twice(world):
    alpha_db, beta_db, ns = world
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
    total = 500
    await emit(alpha_db, *range(total))
    worker = await run_worker("relay", alpha_db.url, ns.amqp_url, ns.name, "120")
    alpha = None
    try:
        assert await asyncio.wait_for(worker.wait(), 20) == 17
        assert await _unpublished(alpha_db) == total  # its batch was never marked
        await wait_for(lambda: _distinct(beta_db, 120))

        alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
        await wait_for(lambda: _distinct(beta_db, total), timeout=30)
        await wait_for(lambda: _depth_is(ns, 0))
        assert await counts(beta_db) == {n: 1 for n in range(total)}
        assert await _unpublished(alpha_db) == 0
        async with beta_db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(inbox)) == total
    finally:
        if worker.returncode is None:
            worker.kill()
        await beta.stop()
        if alpha:
            await alpha.stop()


async def _queue_exists(ns) -> bool:
    try:
        await ns.queue_depth(ns.topology.queue("beta"))
        return True
    except Exception:
        return False


async def _depth_is(ns, expected: int) -> bool:
    return await ns.queue_depth(ns.topology.queue("beta")) == expected


async def _has(db, n) -> bool:
    return n in await counts(db)


async def _distinct(db, at_least: int) -> bool:
    return len(await counts(db)) >= at_least


async def _unpublished(db) -> int:
    async with db.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
