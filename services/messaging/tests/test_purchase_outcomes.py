"""Billing's reports on card purchases, on a migrated messaging database: however they are
duplicated (under new ids, even at once) or reordered, the buyer is unlocked once, a refund
reported first never unlocks, and a success after an expiry still unlocks."""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from settle_contracts.billing import PaymentRefunded, PaymentSucceeded
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database, drop_database
from settle_kit.migrations import migrate
from settle_kit.models import new_id
from settle_testing import databases

from messaging.config import Settings
from messaging.conversations.models import Conversation, Participant
from messaging.live.models import ConversationEvent
from messaging.messages.models import Message, MessageUnlock
from messaging.migrate import ALEMBIC_INI
from messaging.purchases.models import MessagePurchase
from messaging.purchases.service import close_unpaid
from messaging.subscriptions import payment_outcomes


@pytest.fixture(scope="module")
def database_url(pg_server_url: str):
    url = databases.unique_database_url("messaging")
    with contextlib.redirect_stdout(io.StringIO()):
        migrate(Settings(database_url=url), ALEMBIC_INI)
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


async def _pending_purchase(db: Database) -> MessagePurchase:
    async with UnitOfWork(db, "messaging") as uow:
        conversation = Conversation(id=new_id("conv"))
        conversation.participants.extend([Participant(user_id="seller"), Participant(user_id="buyer")])
        uow.session.add(conversation)
        await uow.session.flush()
        message = Message(id=new_id("msg"), conversation_id=conversation.id, sender_id="seller", kind="paid", body="teaser",
                          attachments=[{"id": "att_1", "name": "a.png", "content_type": "image/png", "size": 3}],
                          price_amount=400, price_currency="usd", created_at=datetime.now(UTC))
        uow.session.add(message)
        await uow.session.flush()
        purchase = MessagePurchase(id=new_id("mpur"), message_id=message.id, conversation_id=conversation.id, buyer_id="buyer",
                                   seller_id="seller", method="card", status="pending", price_amount=400, price_currency="usd",
                                   created_at=datetime.now(UTC))
        uow.session.add(purchase)
        await uow.commit()
        return purchase


def _state(purchase: MessagePurchase, status: str) -> dict:
    return dict(payment_id="pay_x", purpose="message_unlock", status=status, amount=400, currency="usd",
                amount_refunded=400 if status == "refunded" else 0, payer_id="buyer", payee_id="seller", project_id=None,
                conversation_id=None, reference_type="message_purchase", reference_id=purchase.id, updated_at=datetime.now(UTC))


def succeeded(purchase: MessagePurchase) -> PaymentSucceeded:
    return PaymentSucceeded(**_state(purchase, "succeeded"), succeeded_at=datetime.now(UTC))


def refunded(purchase: MessagePurchase) -> PaymentRefunded:
    return PaymentRefunded(**_state(purchase, "refunded"), refund_id="re_1", refund_amount=400)


async def _handle(db: Database, events: list) -> None:
    async with UnitOfWork(db, "messaging") as uow:
        await payment_outcomes(events, uow)
        await uow.commit()


async def _seen(db: Database, purchase: MessagePurchase) -> tuple[str, int, int, int]:
    async with db.sessions() as session:
        status = await session.scalar(select(MessagePurchase.status).where(MessagePurchase.id == purchase.id))
        grants = await session.scalar(select(func.count()).select_from(MessageUnlock).where(MessageUnlock.message_id == purchase.message_id))
        unlocked = await session.scalar(select(func.count()).select_from(ConversationEvent).where(
            ConversationEvent.message_id == purchase.message_id, ConversationEvent.type == "message.unlocked"))
        sales = await session.scalar(text(
            "SELECT count(*) FROM outbox WHERE type = 'messaging.message_sale.completed' AND envelope->'data'->>'purchase_id' = :id"
        ), {"id": purchase.id})
    return status, grants, unlocked, sales


async def test_a_success_reported_many_times_and_at_once_unlocks_once(db):
    purchase = await _pending_purchase(db)
    await asyncio.gather(*(_handle(db, [succeeded(purchase)]) for _ in range(4)), return_exceptions=True)
    await _handle(db, [succeeded(purchase), succeeded(purchase)])
    assert await _seen(db, purchase) == ("completed", 1, 1, 1)


async def test_a_refund_reported_before_the_success_never_unlocks(db):
    purchase = await _pending_purchase(db)
    await _handle(db, [refunded(purchase)])
    await _handle(db, [succeeded(purchase)])
    assert await _seen(db, purchase) == ("refunded", 0, 0, 0)


async def test_a_success_after_the_session_expired_still_unlocks_and_a_refund_then_revokes(db):
    purchase = await _pending_purchase(db)
    async with UnitOfWork(db, "messaging") as uow:
        await close_unpaid(uow, purchase.id, "expired")
        await uow.commit()
    await _handle(db, [succeeded(purchase)])
    assert await _seen(db, purchase) == ("completed", 1, 1, 1)
    await _handle(db, [refunded(purchase), refunded(purchase)])
    assert (await _seen(db, purchase))[:2] == ("refunded", 0)
