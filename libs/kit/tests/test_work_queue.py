"""The kit's work queue on the real database: work runs with no connection held, failing work
backs off and ends dead (never silently dropped), an operator's retry runs it again, a crashed
worker's claim comes back, replicas never take one item twice, and enqueuing wakes the queue."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.models import TYPE_MAP, service_metadata, utcnow
from settle_kit.work_queue import ALREADY_DONE, DEAD, DONE, PENDING, RUNNING, QueuedWork, WorkQueue, wake_after_commit
from settle_testing.databases import install_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_MAP


class Job(Base, QueuedWork):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payload: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class Clock:
    """A clock the test moves, so back-off and leases pass without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def db(database_factory):
    url = await database_factory("queue")
    await install_tables(url, Base.metadata)
    database = Database(url)
    yield database
    await database.dispose()


async def enqueue(db: Database, *ids: str, payload: str = "x", wake: str | None = None) -> None:
    async with UnitOfWork(db, "test") as uow:
        for job_id in ids:
            await uow.session.execute(insert(Job).values(id=job_id, payload=payload).on_conflict_do_nothing())
        if wake:
            wake_after_commit(uow, wake)
        await uow.commit()


async def job(db: Database, job_id: str) -> Job:
    async with db.sessions() as session:
        return await session.get(Job, job_id)


async def test_the_work_runs_with_no_connection_held_and_its_outcome_is_recorded(db):
    seen: list[tuple[str, int]] = []

    async def handle(item: Job) -> str:
        # The claim is committed: the row is not locked and no pooled connection is out.
        seen.append((item.payload, db.engine.pool.checkedout()))
        async with db.engine.connect() as conn:
            await conn.execute(text("SET lock_timeout = '100ms'"))
            await conn.execute(text("SELECT 1 FROM jobs WHERE id = :id FOR UPDATE NOWAIT"), {"id": item.id})
        return "sent"

    await enqueue(db, "job_1", payload="hello")
    queue = WorkQueue("jobs", db, Job, handle=handle)
    assert await queue.process_due() == 1
    assert seen == [("hello", 0)]
    done = await job(db, "job_1")
    assert (done.status, done.outcome, done.attempts) == (DONE, "sent", 1)
    assert done.done_at is not None
    assert await queue.process_due() == 0  # done work is not taken again


async def test_failing_work_backs_off_ends_dead_and_an_operators_retry_runs_it(db, caplog):
    broken = {"job_2"}

    async def handle(item: Job) -> str:
        if item.id in broken:
            raise RuntimeError("the recipient does not exist")
        return "ok"

    await enqueue(db, "job_2", "job_3")
    clock = Clock()
    queue = WorkQueue("jobs", db, Job, handle=handle, max_attempts=3, clock=clock)
    assert await queue.process_due() == 2
    failing = await job(db, "job_2")
    assert (failing.status, failing.attempts) == (PENDING, 1)
    assert "RuntimeError: the recipient does not exist" in failing.last_error
    assert failing.next_attempt_at > clock.now  # backing off
    assert (await job(db, "job_3")).status == DONE  # its neighbour is not held back

    assert await queue.process_due() == 0  # not due yet
    for _ in range(2):
        clock.advance(3600)
        assert await queue.process_due() == 1
    dead = await job(db, "job_2")
    assert (dead.status, dead.attempts) == (DEAD, 3)
    assert any(r.levelname == "ERROR" and getattr(r, "item_id", None) == "job_2" for r in caplog.records)
    clock.advance(10 * 86400)
    assert await queue.process_due() == 0  # dead stays dead until someone retries it

    broken.clear()  # the cause is fixed
    assert await queue.retry("job_2") == DEAD
    assert (await job(db, "job_2")).status == PENDING
    assert await queue.process_due() == 1
    retried = await job(db, "job_2")
    assert (retried.status, retried.outcome, retried.attempts) == (DONE, "ok", 1)
    assert await queue.retry("job_2") == DONE  # done work is not redone
    assert await queue.retry("no_such_job") is None


async def test_a_crashed_workers_claim_comes_back_after_its_lease_and_counts_as_an_attempt(db):
    await enqueue(db, "job_4")
    clock = Clock()
    crashed = WorkQueue("jobs", db, Job, handle=lambda item: asyncio.sleep(0), lease_s=60, max_attempts=2, clock=clock)
    assert [item.id for item in await crashed.claim(10)] == ["job_4"]  # ...and the worker died
    survivor = WorkQueue("jobs", db, Job, handle=lambda item: asyncio.sleep(0, "late"), lease_s=60, max_attempts=2, clock=clock)
    assert await survivor.process_due() == 0  # still claimed
    clock.advance(61)
    assert [item.id for item in await crashed.claim(10)] == ["job_4"]  # second attempt, and it dies again
    clock.advance(61)
    assert await survivor.process_due() == 0
    dead = await job(db, "job_4")
    assert (dead.status, dead.attempts) == (DEAD, 2)
    assert "claim expired" in dead.last_error


async def test_a_late_result_of_an_expired_claim_does_not_overwrite_the_new_one(db):
    await enqueue(db, "job_5")
    clock = Clock()
    queue = WorkQueue("jobs", db, Job, handle=lambda item: asyncio.sleep(0, "ok"), lease_s=60, clock=clock)
    first = await queue.claim(10)
    clock.advance(61)
    second = await queue.claim(10)
    await queue.record(second, {"job_5": "second"})
    await queue.record(first, {"job_5": RuntimeError("slow first worker")})
    assert ((await job(db, "job_5")).status, (await job(db, "job_5")).outcome) == (DONE, "second")


async def test_replicas_share_the_work_and_never_take_one_item_twice(db):
    await enqueue(db, *(f"job_r{n}" for n in range(60)))
    taken: list[str] = []

    async def handle(item: Job) -> None:
        taken.append(item.id)
        await asyncio.sleep(0.01)

    replicas = [WorkQueue("jobs", db, Job, handle=handle, batch=7, concurrency=3) for _ in range(4)]
    while sum(await asyncio.gather(*(replica.process_due() for replica in replicas))):
        pass
    assert sorted(taken) == sorted(f"job_r{n}" for n in range(60))
    async with db.sessions() as session:
        assert set(await session.scalars(select(Job.status))) == {DONE}


async def test_batches_get_their_items_together_and_fail_item_by_item(db):
    await enqueue(db, *(f"job_b{n}" for n in range(5)))
    batches: list[list[str]] = []

    async def handle_batch(items: list[Job]) -> dict:
        batches.append([item.id for item in items])
        # Work done in a transaction of its own marks its items done in it.
        mine = [item for item in items if item.id == "job_b4"]
        async with db.sessions() as session, session.begin():
            await queue.mark_done(session, mine, "in its transaction")
        return {item.id: (ValueError("bad") if item.id == "job_b3" else ALREADY_DONE if item in mine else None) for item in items}

    queue = WorkQueue("jobs", db, Job, handle_batch=handle_batch, batch=2, concurrency=3, order_by="created_at")
    assert await queue.process_due() == 5
    assert sorted(len(b) for b in batches) == [1, 2, 2]
    async with db.sessions() as session:
        statuses = dict((await session.execute(select(Job.id, Job.status))).all())
    assert statuses == {"job_b0": DONE, "job_b1": DONE, "job_b2": DONE, "job_b3": PENDING, "job_b4": DONE}
    assert (await job(db, "job_b4")).outcome == "in its transaction"


async def test_enqueuing_wakes_the_queue_without_waiting_for_its_poll(db):
    done = asyncio.Event()

    async def handle(item: Job) -> None:
        done.set()

    queue = WorkQueue("jobs", db, Job, handle=handle, poll_interval_s=3600)
    first_round = asyncio.Event()
    process_due = queue.process_due

    async def counted() -> int:
        taken = await process_due()
        first_round.set()
        return taken

    queue._loop.process_due = counted
    runner = asyncio.create_task(queue.run())
    try:
        await asyncio.wait_for(first_round.wait(), 30)  # it found nothing and sleeps for an hour
        await enqueue(db, "job_w", wake="jobs")
        await asyncio.wait_for(done.wait(), 30)  # woken, not polled: the poll is an hour away
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_work_interrupted_by_shutdown_is_due_again_at_once(db):
    started = asyncio.Event()

    async def handle(item: Job) -> None:
        started.set()
        await asyncio.Event().wait()  # still calling out when the service stops

    await enqueue(db, "job_s")
    queue = WorkQueue("jobs", db, Job, handle=handle, lease_s=3600)
    runner = asyncio.create_task(queue.run())
    await asyncio.wait_for(started.wait(), 30)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    released = await job(db, "job_s")
    assert released.status == PENDING and released.next_attempt_at <= utcnow()  # not an hour from now


async def test_a_slow_workers_claim_is_renewed_while_it_works(db):
    await enqueue(db, "job_slow")
    seen: list[datetime] = []

    async def handle(item: Job) -> str:
        seen.append((await job(db, item.id)).next_attempt_at)
        while len(seen) < 3:  # the claim moves on while the work goes on
            await asyncio.sleep(0.1)
            if (current := (await job(db, item.id)).next_attempt_at) != seen[-1]:
                seen.append(current)
        return "slow"

    queue = WorkQueue("jobs", db, Job, handle=handle, lease_s=0.6)
    assert await asyncio.wait_for(queue.process_due(), 30) == 1
    assert seen == sorted(seen) and len(set(seen)) == 3
    assert (await job(db, "job_slow")).status == DONE
