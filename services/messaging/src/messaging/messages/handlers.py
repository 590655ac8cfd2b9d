"""Billing's payment outcomes become receipts in the payment's conversation (texts in `receipts`)."""

import logging
from collections.abc import Callable

from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentState, PaymentSucceeded
from settle_kit.bus.uow import UnitOfWork

from messaging.conversations.repository import ConversationRepository
from messaging.messages import receipts
from messaging.messages.service import post_system_message

log = logging.getLogger(__name__)


def in_a_conversation(event: PaymentState) -> bool:
    """Which payments get receipts (the filter of messaging's subscriptions)."""
    return event.conversation_id is not None


async def on_payment_succeeded(event: PaymentSucceeded, uow: UnitOfWork) -> None:
    await _post_receipt(uow, event, receipts.succeeded_key(event.payment_id), lambda title: receipts.succeeded_text(event.amount, event.currency, title))


async def on_payment_failed(event: PaymentFailed, uow: UnitOfWork) -> None:
    await _post_receipt(uow, event, receipts.failed_key(event.payment_id), lambda title: receipts.failed_text(event.amount, event.currency, title))


async def on_payment_refunded(event: PaymentRefunded, uow: UnitOfWork) -> None:
    await _post_receipt(
        uow,
        event,
        receipts.refund_key(event.payment_id, event.refund_id),
        lambda title: receipts.refunded_text(event.amount, event.currency, event.refund_amount, event.amount_refunded, title),
    )


async def _post_receipt(uow: UnitOfWork, event: PaymentState, dedupe_key: str, text: Callable[[str | None], str]) -> None:
    found = await ConversationRepository(uow.session).titled(event.conversation_id, event.project_id)
    if found is None:
        # Billing only knows conversations from our own events, so this is not worth a retry loop.
        log.warning(
            "receipt for an unknown conversation",
            extra={"payment_id": event.payment_id, "conversation_id": event.conversation_id},
        )
        return
    conversation_id, title = found
    # Dated by the outcome: a refund handled before its payment's success (a retry, two consumer
    # workers) still reads after it.
    await post_system_message(
        uow, conversation_id, text(title), dedupe_key=dedupe_key, payment_id=event.payment_id, happened_at=event.updated_at
    )
