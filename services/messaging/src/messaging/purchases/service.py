"""Buying a paid message: by card (a Stripe Checkout Session opened by billing, purpose
`message_unlock`) or by credits (a debit of the buyer's ledger in billing), never twice.

Each purchase is decided and committed first (one open or completed purchase per message and
buyer, by constraint), then billing is called with no transaction open, then its answer is
recorded in a second short transaction. Every call's idempotency key is fixed by the purchase, so
a retry, or a concurrent request of the same buyer (which finds the same purchase), gets the same
session or the same debit back.

The unlock happens once: `complete` moves a pending purchase forward only, and the grant is
unique per (message, buyer). A card purchase completes when billing reports its payment
succeeded (however often or late Stripe's events come); a full refund revokes it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from settle_contracts.messaging import MessageSaleCompleted, MessageSaleRefunded, MessageUnlocked
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import BadGateway, Conflict, Forbidden, NotFound, PaymentRequired, ServiceUnavailable, Unprocessable
from settle_kit.idempotency import derived_id
from settle_kit.models import new_id, utcnow
from settle_kit.pagination import PageParams, paginate

from messaging.billing_client import BillingClient, BillingError, BillingUnavailable
from messaging.conversations.repository import ConversationRepository
from messaging.live import feed
from messaging.messages.models import Message
from messaging.purchases.models import COMPLETED, EXPIRED, FAILED, PENDING, REFUNDED, MessagePurchase
from messaging.purchases.repository import PurchaseRepository
from messaging.purchases.schemas import MessagePurchaseCreate, MessagePurchaseRefundOut

log = logging.getLogger(__name__)


async def decide(uow: UnitOfWork, caller: Principal, message_id: str, draft: MessagePurchaseCreate, key: str | None) -> MessagePurchase:
    """The buyer's open purchase of the message: the one already open, or a new one (flushed, for
    the caller to commit). 409 `already_unlocked` once one completed."""
    message = await uow.session.get(Message, message_id)
    conversation = await ConversationRepository(uow.session).get(message.conversation_id) if message else None
    if conversation is None or caller.user_id not in conversation.participant_ids:
        raise NotFound("No such message.", code="message_not_found")
    if message.kind != "paid":
        raise Unprocessable("This message is not for sale.", code="not_for_sale", field="message_id")
    if message.sender_id == caller.user_id:
        raise Forbidden("You sent this message: it is yours already.", code="own_message")
    if draft.method == "credits" and message.price_currency != "usd":
        raise Unprocessable("Credits pay for USD prices only; pay by card.", code="credits_not_accepted", field="method")
    repository = PurchaseRepository(uow.session)
    purchase_id = derived_id("mpur", caller, key, new_id("mpur"))
    if (same := await repository.get(purchase_id)) is not None:
        return same  # this key's purchase (a retry after a lost answer)
    opened = await repository.open({
        "id": purchase_id, "message_id": message.id, "conversation_id": message.conversation_id, "buyer_id": caller.user_id,
        "seller_id": message.sender_id, "method": draft.method, "price_amount": message.price_amount,
        "price_currency": message.price_currency,
    })
    purchase = await repository.get(purchase_id) if opened else await repository.live(message.id, caller.user_id)
    if purchase is None:  # the one in the way was refunded or failed in between: rare, and a retry settles it
        raise Conflict("Another purchase of this message just changed; try again.", code="purchase_in_progress")
    if purchase.status == COMPLETED:
        raise Conflict("You have bought this message already.", code="already_unlocked")
    return purchase


async def settle(uow: UnitOfWork, billing: BillingClient, purchase: MessagePurchase, draft: MessagePurchaseCreate) -> MessagePurchase:
    """Asks billing for what the pending purchase needs (no transaction is open: the decision was
    committed), then records the answer. Credits complete it at once; a card purchase gets its
    Checkout page."""
    if purchase.status != PENDING or (purchase.method == "card" and purchase.checkout_url) or purchase.method != draft.method:
        return purchase  # done, or open in another way of paying: returned as it is, never paid a second way
    try:
        if purchase.method == "card":
            success = str(draft.success_url) if draft.success_url else None
            cancel = str(draft.cancel_url) if draft.cancel_url else None
            session = await billing.open_checkout(purchase, success_url=success, cancel_url=cancel)
        else:
            await billing.debit_credits(purchase)
    except BillingUnavailable as exc:
        raise ServiceUnavailable("Payments are unavailable just now; try again.", code="billing_unavailable", retry_after_s=exc.retry_after_s) from None
    except BillingError as exc:
        # Refused for good: the purchase fails, so it blocks no other (the buyer may try again).
        await _fail(uow, purchase.id)
        if exc.code == "insufficient_credits":
            raise PaymentRequired(exc.detail, code="insufficient_credits") from None
        if exc.status in (422, 409):
            raise Unprocessable(exc.detail, code=exc.code) from None
        raise BadGateway("Billing could not take this payment.", code="billing_error") from None
    repository = PurchaseRepository(uow.session)
    purchase = await repository.get(purchase.id, for_update=True)
    if purchase.method == "card":
        if purchase.status == PENDING and purchase.checkout_url is None:
            purchase.checkout_url, purchase.checkout_session_id = session["url"], session["session_id"]
    else:
        await complete(uow, purchase, payment_id=None, at=utcnow())
    await uow.session.flush()
    return purchase


async def _fail(uow: UnitOfWork, purchase_id: str) -> None:
    purchase = await PurchaseRepository(uow.session).get(purchase_id, for_update=True)
    if purchase is not None and purchase.status == PENDING:
        purchase.status = FAILED
    await uow.commit()


async def complete(uow: UnitOfWork, purchase: MessagePurchase, *, payment_id: str | None, at: datetime) -> bool:
    """Pending -> completed: the buyer is granted the message (once), told live, and the sale
    announced. False when the purchase had moved on already (a repeated report)."""
    if purchase.status != PENDING:
        return False
    purchase.status, purchase.completed_at = COMPLETED, at
    purchase.payment_id = payment_id or purchase.payment_id
    await uow.session.flush()
    repository = PurchaseRepository(uow.session)
    await repository.grant(purchase)
    await feed.record(uow.session, purchase.conversation_id, feed.UNLOCKED, purchase.message_id, audience=purchase.buyer_id)
    uow.emit(MessageUnlocked(
        message_id=purchase.message_id, conversation_id=purchase.conversation_id, buyer_id=purchase.buyer_id,
        purchase_id=purchase.id, unlocked_at=at,
    ))
    uow.emit(MessageSaleCompleted(
        purchase_id=purchase.id, message_id=purchase.message_id, seller_id=purchase.seller_id, buyer_id=purchase.buyer_id,
        method=purchase.method, amount=purchase.price_amount, currency=purchase.price_currency, payment_id=purchase.payment_id,
        completed_at=at,
    ))
    return True


async def paid(uow: UnitOfWork, purchase: MessagePurchase, *, payment_id: str, at: datetime) -> bool:
    """Billing reports the card payment succeeded. A purchase closed meanwhile as failed or
    expired (events out of order) is completed all the same, unless the buyer has bought or is
    buying it again (then the seller or an admin refunds the second payment). A refunded one
    stays refunded: its refund was reported first."""
    if purchase.status in (FAILED, EXPIRED):
        if await PurchaseRepository(uow.session).live(purchase.message_id, purchase.buyer_id) is not None:
            log.warning("a second payment for a message already bought", extra={"purchase_id": purchase.id, "payment_id": payment_id})
            return False
        purchase.status = PENDING
    return await complete(uow, purchase, payment_id=payment_id, at=at)


async def refund_reported(uow: UnitOfWork, purchase: MessagePurchase, at: datetime) -> None:
    """Billing reports the payment refunded in full (here or in Stripe's dashboard). Reported
    before its success (events out of order), the purchase ends refunded without ever unlocking."""
    if purchase.status == PENDING:
        purchase.status, purchase.refunded_at = REFUNDED, at
        return
    await revoke(uow, purchase, at)


async def revoke(uow: UnitOfWork, purchase: MessagePurchase, at: datetime) -> bool:
    """Completed -> refunded: the buyer loses the access this purchase granted (links already
    handed out die with their expiry), is told live, and the sale is announced refunded."""
    if purchase.status != COMPLETED:
        return False
    purchase.status, purchase.refunded_at = REFUNDED, at
    await uow.session.flush()
    await PurchaseRepository(uow.session).revoke(purchase)
    await feed.record(uow.session, purchase.conversation_id, feed.UPDATED, purchase.message_id, audience=purchase.buyer_id)
    uow.emit(MessageSaleRefunded(
        purchase_id=purchase.id, message_id=purchase.message_id, seller_id=purchase.seller_id, buyer_id=purchase.buyer_id,
        refunded_at=at,
    ))
    return True


async def close_unpaid(uow: UnitOfWork, purchase_id: str, status: str, session_id: str | None = None) -> None:
    """A card purchase whose payment failed, or whose Checkout Session expired: it stays locked,
    and the buyer may buy again."""
    purchase = await PurchaseRepository(uow.session).get(purchase_id, for_update=True)
    if purchase is None or purchase.status != PENDING:
        return
    if session_id is not None and purchase.checkout_session_id not in (None, session_id):
        return  # an older session of this purchase
    purchase.status = status


def visible(purchase: MessagePurchase | None, caller: Principal) -> MessagePurchase:
    if purchase is None or not (caller.is_admin or caller.user_id in (purchase.buyer_id, purchase.seller_id)):
        raise NotFound("No such purchase.", code="purchase_not_found")
    return purchase


async def get(uow: UnitOfWork, caller: Principal, purchase_id: str) -> MessagePurchase:
    return visible(await PurchaseRepository(uow.session).get(purchase_id), caller)


async def list_purchases(uow: UnitOfWork, caller: Principal, as_: str, params: PageParams) -> tuple[list[MessagePurchase], bool]:
    statement = PurchaseRepository(uow.session).of(caller.user_id, as_)
    return await paginate(uow.session, statement, created_at=MessagePurchase.created_at, id_=MessagePurchase.id, params=params)


async def refund(uow: UnitOfWork, billing: BillingClient, caller: Principal, purchase_id: str) -> MessagePurchaseRefundOut:
    """The seller (or an admin) gives the buyer their money back; the buyer loses access."""
    purchase = await get(uow, caller, purchase_id)
    if not (caller.is_admin or caller.user_id == purchase.seller_id):
        raise Forbidden("Only the seller or an admin refunds a purchase.", code="not_the_seller")
    if purchase.status not in (COMPLETED, REFUNDED):
        raise Conflict(f"A {purchase.status} purchase has nothing to refund.", code="purchase_not_refundable")
    uow.session.expunge(purchase)  # kept as read (a rollback would expire it)
    await uow.rollback()  # only read: no transaction is held while billing works
    try:
        answer = await billing.refund(purchase)
    except BillingUnavailable as exc:
        raise ServiceUnavailable("Refunds are unavailable just now; try again.", code="billing_unavailable", retry_after_s=exc.retry_after_s) from None
    except BillingError as exc:
        if exc.status == 409:
            raise Conflict(exc.detail, code=exc.code) from None
        raise BadGateway("Billing could not refund this purchase.", code="billing_error") from None
    purchase = await PurchaseRepository(uow.session).get(purchase_id, for_update=True)
    await revoke(uow, purchase, utcnow())
    return MessagePurchaseRefundOut(id=answer["id"], purchase_id=purchase.id, amount=answer["amount"], currency=answer["currency"], status=answer["status"])

