"""Messages in a conversation: text from participants, paid ones that hide their attachments, and
system messages (payment receipts) posted once each."""

from datetime import datetime

from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Unprocessable
from settle_kit.models import new_id, utcnow
from settle_kit.money import format_money, minimum_charge
from settle_kit.pagination import PageParams, paginate

from messaging.attachments import service as attachments
from messaging.conversations.service import visible_conversation
from messaging.messages.models import SYSTEM_SENDER, Message
from messaging.messages.repository import MessageRepository
from messaging.messages.schemas import MessageCreate, MessageOut


async def post_message(uow: UnitOfWork, caller: Principal, conversation_id: str, draft: MessageCreate) -> MessageOut:
    conversation = await visible_conversation(uow, caller, conversation_id)
    if draft.price is None and not draft.body.strip():
        raise Unprocessable("A message needs a body of 1–10,000 characters.", field="body")
    if draft.price is not None and draft.attachments:
        # A link to a file held elsewhere could be shared by anyone: what is sold is held here.
        raise Unprocessable("A paid message sells uploads held by Settle: send them as attachment_ids.", field="attachments")
    if draft.price is not None and not draft.attachment_ids:
        # What a buyer pays for is the attachments; the body is the teaser everyone reads.
        raise Unprocessable("A paid message sells its attachments: add at least one.", field="attachment_ids")
    if draft.price is not None and draft.price.amount < minimum_charge(draft.price.currency):
        # Bought by card through Stripe, which charges no less than this.
        least = format_money(minimum_charge(draft.price.currency), draft.price.currency)
        raise Unprocessable(f"A price is at least {least}.", code="amount_too_small", field="price.amount")
    message_id = new_id("msg")
    held = await attachments.unused_uploads(uow, caller, draft.attachment_ids) if draft.attachment_ids else []
    message = Message(
        id=message_id,
        conversation_id=conversation.id,
        sender_id=caller.user_id,
        kind="paid" if draft.price else "text",
        body=draft.body,
        attachments=[a.summary() for a in held] + [a.model_dump() for a in draft.attachments],
        price_amount=draft.price.amount if draft.price else None,
        price_currency=draft.price.currency if draft.price else None,
        created_at=utcnow(),
    )
    await MessageRepository(uow.session).post(message)
    for attachment in held:  # after the message: their rows point at it
        attachment.message_id = message_id
    await uow.session.flush()
    return MessageOut.seen_by(message, caller.user_id)


async def list_messages(uow: UnitOfWork, caller: Principal, conversation_id: str, params: PageParams) -> tuple[list[MessageOut], bool]:
    await visible_conversation(uow, caller, conversation_id)
    repo = MessageRepository(uow.session)
    messages, has_more = await paginate(
        uow.session, repo.of_conversation(conversation_id), created_at=Message.created_at, id_=Message.id, params=params
    )
    bought = await repo.unlocked_for(caller.user_id, [m.id for m in messages if m.kind == "paid"])
    return [MessageOut.seen_by(m, caller.user_id, m.id in bought) for m in messages], has_more


def system_message(conversation_id: str, body: str, *, dedupe_key: str, payment_id: str | None, happened_at: datetime | None) -> Message:
    """A system message, dated when what it records happened (now if that is not known)."""
    return Message(
        id=new_id("msg"), conversation_id=conversation_id, sender_id=SYSTEM_SENDER, kind="system", body=body, attachments=[],
        payment_id=payment_id, dedupe_key=dedupe_key, created_at=happened_at or utcnow(),
    )


async def post_system_messages(uow: UnitOfWork, messages: list[Message]) -> None:
    """Posts system messages, each once per `dedupe_key` (one already posted changes nothing)."""
    await MessageRepository(uow.session).post_many(messages)
