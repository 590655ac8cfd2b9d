"""Against a real PostgreSQL with bookings' migrations: experts' payout accounts become payees'
(step 0007, and back for the previous release), and billing's reports of one account, arriving
at once and in any order, leave the newest."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from settle_kit.db import Database
from settle_kit.models import utcnow

from bookings.migrate import ALEMBIC_INI
from bookings.payout_accounts.models import Payee
from bookings.payout_accounts.repository import PayeeRepository

pytestmark = pytest.mark.timeout(120)


def alembic(url: str, action, revision: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    config.attributes["database_url"] = url
    action(config, revision)


async def payees(db: Database) -> list[tuple]:
    async with db.sessions() as session:
        rows = await session.scalars(select(Payee).order_by(Payee.user_id))
        return [(p.user_id, p.payout_account_id, p.payouts_enabled, p.updated_at) for p in rows]


async def record(db: Database, user_id: str, account_id: str, enabled: bool, as_of) -> None:
    async with db.sessions() as session:
        await PayeeRepository(session).record(user_id, account_id=account_id, payouts_enabled=enabled, as_of=as_of)
        await session.commit()


@pytest.fixture
async def url(database_factory):
    return await database_factory("bookings")


async def test_experts_accounts_become_payees_and_go_back_on_downgrade(url):
    # Alembic runs its own event loop: keep it off this one.
    await asyncio.to_thread(alembic, url, command.upgrade, "0006")
    as_of = utcnow().replace(microsecond=0)
    db = Database(url)
    try:
        async with db.sessions() as session:
            await session.execute(text("""
                INSERT INTO experts (id, display_name, rate_amount, rate_currency, payout_account_id, payouts_enabled,
                                     payout_account_updated_at, created_at, updated_at)
                VALUES ('ann', 'Ann', 100, 'usd', 'acct_ann', true, :as_of, now(), now()),
                       ('bob', 'Bob', 100, 'usd', NULL, false, NULL, now(), now())
            """), {"as_of": as_of})
            await session.commit()
        await asyncio.to_thread(alembic, url, command.upgrade, "head")
        assert await payees(db) == [("ann", "acct_ann", True, as_of)]  # bob has no account

        # A seller who is no expert has an account now; Ann's was restricted since.
        await record(db, "sue", "acct_sue", True, as_of)
        await record(db, "ann", "acct_ann", False, as_of + timedelta(minutes=1))
        await asyncio.to_thread(alembic, url, command.downgrade, "0006")
        async with db.sessions() as session:
            experts = (await session.execute(text(
                "SELECT id, payout_account_id, payouts_enabled, payout_account_updated_at FROM experts ORDER BY id"
            ))).all()
        assert [tuple(e) for e in experts] == [("ann", "acct_ann", False, as_of + timedelta(minutes=1)), ("bob", None, False, None)]
    finally:
        await db.dispose()


async def test_the_newest_of_billings_reports_wins_whatever_their_order(url):
    await asyncio.to_thread(alembic, url, command.upgrade, "head")
    db = Database(url)
    try:
        start = utcnow()
        reports = [(i % 2 == 1, start + timedelta(seconds=i)) for i in range(8)]  # the newest enables payouts
        random.shuffle(reports)
        # A user's first reports at once (billing's answer and its events): one row, no conflict.
        await asyncio.gather(*(record(db, "sue", "acct_sue", enabled, as_of) for enabled, as_of in reports))
        assert await payees(db) == [("sue", "acct_sue", True, start + timedelta(seconds=7))]
        await record(db, "sue", "acct_sue", False, start)  # late and old: changes nothing
        assert await payees(db) == [("sue", "acct_sue", True, start + timedelta(seconds=7))]
    finally:
        await db.dispose()
