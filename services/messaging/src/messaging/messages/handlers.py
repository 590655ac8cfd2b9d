"""Billing's payment outcomes become receipts in the payment's conversation (texts in `receipts`)."""

import logging

from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentState, PaymentSucceeded
from settle_kit.bus.uow import UnitOfWork

from messaging.conversations.repository import ConversationRepository
from messaging.messages import receipts
from messaging.messages.service import post_system_messages, system_message

log = logging.getLogger(__name__)


def in_a_conversation(event: PaymentState) -> bool:
    """Which payments get receipts (the filter of messaging's subscriptions)."""
    return event.conversation_id is not None


async def post_receipts(events: list[PaymentState], uow: UnitOfWork) -> None:
    """The receipts of a run of payment outcomes: their conversations and titles in one query,
    the messages in one round trip."""
    found = await ConversationRepository(uow.session).titled([(e.conversation_id, e.project_id) for e in events])
    posts = []
    for event in events:
        conversation = found.get((event.conversation_id, event.project_id))
        if conversation is None:
            # Billing only knows conversations from our own events, so this is not worth a retry loop.
            log.warning(
                "receipt for an unknown conversation",
                extra={"payment_id": event.payment_id, "conversation_id": event.conversation_id},
            )
            continue
        conversation_id, title = conversation
        dedupe_key, text = _receipt(event, title)
        # Dated by the outcome: a refund handled before its payment's success (a retry, two
        # consumer workers) still reads after it.
        posts.append(system_message(conversation_id, text, dedupe_key=dedupe_key, payment_id=event.payment_id, happened_at=event.updated_at))
    await post_system_messages(uow, posts)


def _receipt(event: PaymentState, title: str | None) -> tuple[str, str]:
    """(dedupe key, text) of the receipt of one outcome."""
    if isinstance(event, PaymentSucceeded):
        return receipts.succeeded_key(event.payment_id), receipts.succeeded_text(event.amount, event.currency, title)
    if isinstance(event, PaymentFailed):
        return receipts.failed_key(event.payment_id), receipts.failed_text(event.amount, event.currency, title)
    if isinstance(event, PaymentRefunded):
        return (
            receipts.refund_key(event.payment_id, event.refund_id),
            receipts.refunded_text(event.amount, event.currency, event.refund_amount, event.amount_refunded, title),
        )
    raise TypeError(f"no receipt for {type(event).__name__}")
