"""Invoice reminder benchmark: how fast billing's scheduler decides and texts a day's reminders.

N unpaid invoices, all due the same day, on a fresh migrated billing database; billing's clock is
put on that day at 10:30 in the customers' zone and one scheduler run decides every `due` level,
then (the hold passed) another sends them: each a short transaction per batch of 100 with the
invoices locked, the SMS requests written to the outbox. Prints reminders/s for each step and
for a second scheduler run that finds nothing to do (its cost with a large book of invoices).

    .venv/bin/python bench/invoice_reminders.py [--invoices 5000]

Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))

from billing.config import Settings  # noqa: E402
from billing.invoices.models import Invoice  # noqa: E402
from billing.invoices.reminders import ReminderScheduler  # noqa: E402
from billing.invoices.service import Urls, overdue_from  # noqa: E402
from billing.migrate import ALEMBIC_INI  # noqa: E402
from settle_kit.bus.uow import UnitOfWork  # noqa: E402
from settle_kit.clock import Clock  # noqa: E402
from settle_kit.db import Database, drop_database  # noqa: E402
from settle_kit.migrations import migrate  # noqa: E402
from settle_testing import databases  # noqa: E402

PHONE = "+14155552671"
LA = ZoneInfo("America/Los_Angeles")


async def measure(count: int, url: str) -> None:
    db = Database(url)
    due = date.today() + timedelta(days=30)
    clock = Clock(datetime.combine(due, clock_time(9), tzinfo=LA))
    scheduler = ReminderScheduler(db, clock, Urls("https://pay.example"), interval_s=60, hold_s=300, reminder_hour=10)
    run = uuid.uuid4().hex[:8]
    async with UnitOfWork(db, "billing") as uow:
        uow.session.add_all([
            Invoice(
                id=f"inv_{run}_{n}", issuer_id=f"issuer-{n % 50}", number=f"B-{n}", customer_name="Carl", customer_phone=PHONE,
                description="Bench", total_amount=10_000, currency="usd", due_date=due, overdue_from=overdue_from(due, PHONE), reminders=True,
                status="pending", next_reminder_at=datetime.combine(due, clock_time(0), tzinfo=LA),
            )
            for n in range(count)
        ])
        await uow.commit()
    clock.set(datetime.combine(due, clock_time(10, 30), tzinfo=LA))
    began = time.perf_counter()
    await scheduler.run_once()
    decided_s = time.perf_counter() - began
    clock.advance(timedelta(seconds=301))
    began = time.perf_counter()
    await scheduler.run_once()
    sent_s = time.perf_counter() - began
    began = time.perf_counter()
    await scheduler.run_once()
    idle_s = time.perf_counter() - began
    await db.dispose()
    print(f"{count} invoices due: decided {count / decided_s:,.0f} reminders/s ({decided_s:.2f} s); "
          f"sent {count / sent_s:,.0f} reminders/s ({sent_s:.2f} s); a run with nothing due: {idle_s * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=5000)
    args = parser.parse_args()
    url = databases.unique_database_url("billing")
    with contextlib.redirect_stdout(io.StringIO()):
        migrate(Settings(database_url=url), ALEMBIC_INI)
    try:
        asyncio.run(measure(args.invoices, url))
    finally:
        asyncio.run(drop_database(url))


if __name__ == "__main__":
    main()
