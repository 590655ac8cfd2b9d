"""One queue for background work stored in a service's own table: claim, lease, back-off, dead
status and wake, the same for every kind of work (Stripe events, Stripe tasks, SMS to send, …).

Nothing here holds a database transaction or a pooled connection while the work runs: items are
claimed in one statement (`FOR UPDATE SKIP LOCKED`, committed as it runs), the work function
runs with no connection held (it opens its own short transactions before and after its outside
call), and the results are recorded in another single statement. Nothing gives up silently: an item that keeps failing ends
`dead`, logged at ERROR, where an operator can list it and retry it by hand.

How to use it
-------------
1. The table: a model with a string `id` primary key and the `QueuedWork` mixin (columns
   `status`, `attempts`, `next_attempt_at`, `last_error`), plus a column for when it was done
   (`done_at` by default), and optionally `outcome` (a short string the work returns). Index
   what is due: `Index("ix_<table>_due", "next_attempt_at", postgresql_where=DUE_WHERE)`.

       class SmsSend(Base, QueuedWork):
           __tablename__ = "sms_sends"
           id: Mapped[str] = mapped_column(String(40), primary_key=True)
           ...
           done_at: Mapped[datetime | None]

2. Enqueue in the transaction that decides the work: insert the row (status `pending`, attempts
   0, `next_attempt_at` = now or later; insert-if-new with an id derived from the cause makes a
   repeated request one item), then `wake_after_commit(uow, "sms")`: this process's queue starts
   on it as soon as the transaction commits. Other replicas find it by polling.

3. Run the queue as a supervised background task of the service (`settle_kit.service.supervise`,
   so `/readyz` fails if it dies):

       queue = WorkQueue("sms", db, SmsSend, handle=send_one, max_attempts=10, poll_interval_s=5)
       supervise(app, "sms", queue.run())

   `handle(item)` gets a detached copy of the claimed row. It returns an outcome (a short string or
   None: the item is `done`) or raises (the item is retried after an exponential, capped,
   jittered back-off; after `max_attempts` it is `dead`). It must be idempotent: an item whose
   worker died mid-way comes back when its claim (`lease_s`, renewed while the work runs) runs
   out, and is done again; one whose service was stopped comes back at once.

   Work that needs no outside call can go in batches: `handle_batch(items)` gets up to `batch`
   items at once (up to `concurrency` batches in flight) and returns `{item.id: outcome or the
   exception}` for each, so one transaction can cover them all. It may mark the items it did
   done inside that same transaction (`await queue.mark_done(session, items)`, then
   `ALREADY_DONE` for them): their effects and their done marks then commit together, with no
   statement after. `pace_s` spaces rounds while work keeps coming (see `WorkLoop`), so a steady
   stream makes full batches rather than one transaction per item.

4. Operators: `await queue.retry(id)` puts a `dead` (or waiting) item back to `pending`, due now,
   with its attempts counted from 0 again (a full round of retries; its `last_error` stays until
   the next attempt replaces it), and wakes the queue. `STATUS_GROUPS` maps the words an admin
   API shows to statuses.

Statuses: `pending` (waiting until `next_attempt_at`) → `running` (claimed; `next_attempt_at`
is then the end of the lease: a running item past it is claimed again) → `done` | back to
`pending` | `dead`. An item claimed for the attempt that reaches `max_attempts` and whose lease
then runs out (its worker died) goes `dead` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import String, Text, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database, Statement
from settle_kit.models import utcnow
from settle_kit.work_loop import WorkLoop

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"
STATUSES = (PENDING, RUNNING, DONE, DEAD)
# What an operator asks for -> the statuses it covers.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {"pending": (PENDING, RUNNING), "done": (DONE,), "failed": (DEAD,)}
# The partial index of what may be due (put it on `next_attempt_at`).
DUE_WHERE = "status IN ('pending', 'running')"

T = TypeVar("T")
Outcome = str | None
# What a batch handler returns for the items it marked done itself (`WorkQueue.mark_done`).
ALREADY_DONE = "__already_done__"


class QueuedWork:
    """The columns of a table of queued work (a declarative mixin)."""

    status: Mapped[str] = mapped_column(String(20), default=PENDING, server_default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # When it is due (pending), or when its claim runs out (running).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Backoff:
    """Exponential from `base_s`, capped at `cap_s`, jittered between half and all of it, so items
    that failed together (a Stripe outage) do not all come back at the same instant."""

    base_s: float = 1.0
    cap_s: float = 600.0

    def delay_s(self, attempts: int) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(max(attempts - 1, 0), 40))
        return random.uniform(ceiling / 2, ceiling)


def wake_after_commit(uow: UnitOfWork, queue: str) -> None:
    """Wakes this process's queue `queue` once `uow` commits (the work it stored is visible then)."""
    db = uow.db
    uow.after_commit(lambda: db.wake(queue))


class WorkQueue(Generic[T]):
    def __init__(
        self,
        name: str,
        db: Database,
        model: type[T],
        *,
        handle: Callable[[T], Awaitable[Outcome]] | None = None,
        handle_batch: Callable[[list[T]], Awaitable[Mapping[str, Outcome | BaseException]]] | None = None,
        batch: int = 20,
        concurrency: int = 1,
        poll_interval_s: float = 1.0,
        pace_s: float = 0.0,
        lease_s: float = 120.0,
        max_attempts: int = 20,
        backoff: Backoff = Backoff(),
        order_by: str = "next_attempt_at",
        done_at: str = "done_at",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`batch`: items per claim (per-item `handle`, run `concurrency` at once), or items per
        `handle_batch` call (`concurrency` calls at once). `order_by`: the column claimed first
        (oldest first). `done_at`: the column set when an item is done. `clock`: for tests."""
        if (handle is None) == (handle_batch is None):
            raise TypeError("give exactly one of handle and handle_batch")
        self.name = name
        self.db = db
        self.model = model
        self.handle = handle
        self.handle_batch = handle_batch
        self.batch = batch
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.clock = clock
        self._order_by = order_by
        table = model.__table__  # type: ignore[attr-defined]
        self._claim = Statement(_claim_sql(table.name, order_by))
        record = _record_sql(table.name, done_at, "outcome" in table.c)
        self._record, self._record_sql = Statement(record), text(record)
        self._loop = WorkLoop(name, self.process_due, poll_interval_s, pace_s=pace_s)
        db.wakers[name] = self.wake

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run()

    # -- one round ------------------------------------------------------------------------------

    async def process_due(self) -> int:
        """Claims what is due, does it, records the results; returns how many items it took."""
        size = self.batch * (self.concurrency if self.handle_batch else 1)
        items = await self.claim(size)
        if not items:
            return 0
        renewing = asyncio.create_task(self._keep_claimed(items), name=f"{self.name}-claims")
        try:
            if self.handle_batch is not None:
                chunks = [items[i : i + self.batch] for i in range(0, len(items), self.batch)]
                parts = await asyncio.gather(*(self._run_batch(chunk) for chunk in chunks))
                results = {key: value for part in parts for key, value in part.items()}
            else:
                limit = asyncio.Semaphore(self.concurrency)

                async def one(item: T) -> Outcome | BaseException:
                    async with limit:
                        try:
                            return await self.handle(item)  # type: ignore[misc]
                        except Exception as exc:
                            return exc

                outcomes = await asyncio.gather(*(one(item) for item in items))
                results = {item.id: outcome for item, outcome in zip(items, outcomes, strict=True)}  # type: ignore[attr-defined]
        except asyncio.CancelledError:
            # Shutting down: what was claimed is due again at once (another replica, or this
            # one after its restart), rather than when the claim runs out.
            await asyncio.shield(self._release(items))
            raise
        finally:
            renewing.cancel()
        await self.record(items, results)
        return len(items)

    async def claim(self, limit: int) -> list[T]:
        """Claims up to `limit` due items in one statement, committed as it runs (SKIP LOCKED:
        replicas share the work): each becomes `running` for `lease_s` with one more attempt
        counted. An item whose last allowed attempt's claim ran out is marked `dead` instead."""
        now = self.clock()
        async with self.db.autocommit() as conn:
            rows = await self._claim.fetch(
                conn, now=now, lease_until=now + self.lease, max=self.max_attempts, limit=limit,
                abandoned="its worker stopped during the last attempt (claim expired)",
            )
        claimed = [self.model(**dict(row)) for row in rows]
        for item in claimed:
            if item.status == DEAD:  # type: ignore[attr-defined]
                self._log_dead(item, item.last_error)  # type: ignore[attr-defined]
        live = [item for item in claimed if item.status == RUNNING]  # type: ignore[attr-defined]
        live.sort(key=lambda item: getattr(item, self._order_by))
        return live

    async def record(self, items: Sequence[T], results: Mapping[str, Outcome | BaseException]) -> None:
        """Done, back to pending with back-off, or dead, in one statement. Only an item still
        claimed by this attempt is changed (its lease may have run out and another worker taken
        it: that one records instead)."""
        now = self.clock()
        rows: dict[str, list[Any]] = {"ids": [], "attempts": [], "statuses": [], "nexts": [], "errors": [], "outcomes": []}
        for item in items:
            result = results.get(item.id, RuntimeError("the work function returned no result for it"))  # type: ignore[attr-defined]
            if result == ALREADY_DONE:
                continue
            status, next_at, error, outcome = DONE, None, None, None
            if isinstance(result, BaseException):
                error = f"{type(result).__name__}: {result}"[:1000]
                if item.attempts >= self.max_attempts:  # type: ignore[attr-defined]
                    status = DEAD
                    self._log_dead(item, error, result)
                else:
                    delay = self.backoff.delay_s(item.attempts)  # type: ignore[attr-defined]
                    status, next_at = PENDING, now + timedelta(seconds=delay)
                    log.warning(
                        "background work failed; retried later",
                        exc_info=result,
                        extra={"queue": self.name, "item_id": item.id, "attempts": item.attempts, "retry_in_s": round(delay, 1)},  # type: ignore[attr-defined]
                    )
            else:
                outcome = result
            for key, value in zip(rows, (item.id, item.attempts, status, next_at, error, outcome), strict=True):  # type: ignore[attr-defined]
                rows[key].append(value)
        if rows["ids"]:
            async with self.db.autocommit() as conn:
                await self._record.execute(conn, now=now, **rows)

    async def _keep_claimed(self, items: Sequence[T]) -> None:
        """While the work runs (a slow Stripe can make a round long), its claims are renewed every
        third of the lease, so the lease can stay short: a worker that died gives its items back
        within `lease_s`, one that is merely slow keeps them."""
        count = len(items)
        ids, attempts = [item.id for item in items], [item.attempts for item in items]  # type: ignore[attr-defined]
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            with contextlib.suppress(Exception):
                now = self.clock()
                async with self.db.autocommit() as conn:
                    await self._record.execute(
                        conn, now=now, ids=ids, attempts=attempts, statuses=[RUNNING] * count, nexts=[now + self.lease] * count,
                        errors=[None] * count, outcomes=[None] * count,
                    )

    async def _release(self, items: Sequence[T]) -> None:
        with contextlib.suppress(Exception):
            now, count = self.clock(), len(items)
            async with self.db.autocommit() as conn:
                await self._record.execute(
                    conn, now=now, ids=[item.id for item in items], attempts=[item.attempts for item in items],  # type: ignore[attr-defined]
                    statuses=[PENDING] * count, nexts=[now] * count, errors=[None] * count, outcomes=[None] * count,
                )

    async def mark_done(self, session: AsyncSession, items: Sequence[T], outcome: Outcome = None) -> None:
        """Marks claimed items done in the caller's transaction (a batch handler's, so that the
        work and its done marks commit together); the handler then returns `ALREADY_DONE` for them."""
        if not items:
            return
        await session.execute(
            self._record_sql,
            {
                "now": self.clock(), "ids": [item.id for item in items], "attempts": [item.attempts for item in items],  # type: ignore[attr-defined]
                "statuses": [DONE] * len(items), "nexts": [None] * len(items), "errors": [None] * len(items),
                "outcomes": [outcome] * len(items),
            },
        )

    def _log_dead(self, item: T, error: str | None, exc: BaseException | None = None) -> None:
        log.error(
            "background work is dead: it waits for an operator to retry it",
            exc_info=exc,
            extra={"queue": self.name, "item_id": item.id, "attempts": item.attempts, "last_error": error},  # type: ignore[attr-defined]
        )

    async def _run_batch(self, items: list[T]) -> Mapping[str, Outcome | BaseException]:
        try:
            return await self.handle_batch(items)  # type: ignore[misc]
        except Exception as exc:
            return {item.id: exc for item in items}  # type: ignore[attr-defined]

    # -- operators ------------------------------------------------------------------------------

    async def retry(self, item_id: str) -> str | None:
        """Puts an item back to `pending`, due now, attempts from 0, and wakes the queue. Returns
        its status before (None: no such item). `done` and `running` items are left as they are."""
        model = self.model
        async with self.db.sessions() as session, session.begin():
            status = await session.scalar(select(model.status).where(model.id == item_id).with_for_update())  # type: ignore[attr-defined]
            if status in (PENDING, DEAD):
                await session.execute(
                    update(model)
                    .where(model.id == item_id)  # type: ignore[attr-defined]
                    .values(status=PENDING, attempts=0, next_attempt_at=self.clock())
                    .execution_options(synchronize_session=False)
                )
        if status in (PENDING, DEAD):
            log.info("background work retried by hand", extra={"queue": self.name, "item_id": item_id, "was": status})
            self.wake()
        return status


# The queue's two hot statements, in SQL compiled once per table (one round trip each, no
# transaction around them: each commits as it runs). A table's attribute names are its columns.
def _claim_sql(table: str, order_by: str) -> str:
    abandoned = "t.status = 'running' AND t.attempts >= :max"
    return (
        f"UPDATE {table} AS t SET "
        f"status = CASE WHEN {abandoned} THEN 'dead' ELSE 'running' END, "
        f"attempts = CASE WHEN {abandoned} THEN t.attempts ELSE t.attempts + 1 END, "
        f"next_attempt_at = CASE WHEN {abandoned} THEN t.next_attempt_at ELSE :lease_until END, "
        f"last_error = CASE WHEN {abandoned} THEN :abandoned ELSE t.last_error END "
        f"WHERE t.id IN (SELECT id FROM {table} WHERE status IN ('pending', 'running') AND next_attempt_at <= :now "
        f"ORDER BY {order_by} LIMIT :limit FOR UPDATE SKIP LOCKED) "
        "RETURNING t.*"
    )


def _record_sql(table: str, done_at: str, has_outcome: bool) -> str:
    outcome = ", outcome = CASE WHEN r.status = 'done' THEN r.outcome ELSE t.outcome END" if has_outcome else ""
    return (
        f"UPDATE {table} AS t SET status = r.status, "
        "next_attempt_at = coalesce(r.next_at, t.next_attempt_at), "
        "last_error = coalesce(r.error, t.last_error), "
        f"{done_at} = CASE WHEN r.status = 'done' THEN :now ELSE t.{done_at} END{outcome} "
        "FROM unnest(CAST(:ids AS text[]), CAST(:attempts AS int[]), CAST(:statuses AS text[]), "
        "CAST(:nexts AS timestamptz[]), CAST(:errors AS text[]), CAST(:outcomes AS text[])) "
        "AS r(id, attempts, status, next_at, error, outcome) "
        "WHERE t.id = r.id AND t.attempts = r.attempts AND t.status = 'running'"
    )
