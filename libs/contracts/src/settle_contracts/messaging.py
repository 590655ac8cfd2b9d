"""Events produced by the messaging service."""

from __future__ import annotations

from datetime import datetime

from settle_contracts.envelope import Event


class ProjectCreated(Event):
    """A project was created; its owner is its first member."""

    event_type = "messaging.project.created"
    project_id: str
    title: str
    owner_id: str
    member_ids: list[str]
    created_at: datetime


class ProjectMemberAdded(Event):
    """A user joined a project."""

    event_type = "messaging.project.member_added"
    project_id: str
    user_id: str


class ConversationCreated(Event):
    """A conversation was opened; `participant_ids` includes its creator."""

    event_type = "messaging.conversation.created"
    conversation_id: str
    project_id: str | None
    participant_ids: list[str]
    created_at: datetime


class MessageUnlocked(Event):
    """A buyer gained access to a paid message's attachments (once per purchase, however often
    its payment was reported)."""

    event_type = "messaging.message.unlocked"
    message_id: str
    conversation_id: str
    buyer_id: str
    purchase_id: str
    unlocked_at: datetime


class MessageSaleCompleted(Event):
    """A paid message was sold: the seller has earned `price` less the platform's fee (decided by
    the payout engine). `method` is `card` (with `payment_id`, billing's payment) or `credits`."""

    event_type = "messaging.message_sale.completed"
    purchase_id: str
    message_id: str
    seller_id: str
    buyer_id: str
    method: str
    amount: int
    currency: str
    payment_id: str | None = None
    completed_at: datetime


class MessageSaleRefunded(Event):
    """A sale was refunded in full: the buyer lost access, and the seller's earning is void (or,
    if already paid out, taken back as billing reverses the transfer)."""

    event_type = "messaging.message_sale.refunded"
    purchase_id: str
    message_id: str
    seller_id: str
    buyer_id: str
    refunded_at: datetime
