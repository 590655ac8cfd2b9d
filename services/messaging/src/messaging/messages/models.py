from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from messaging.models import Base

SYSTEM_SENDER = "system"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # Newest-first listing of one conversation, the only way messages are read.
        Index("ix_messages_conversation_created", "conversation_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    sender_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # text | system | paid
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    # Set on system messages: one message per fact even if its event arrives twice under new ids.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageUnlock(Base):
    """A buyer's access to a paid message: one per (message, buyer), however often the purchase
    that grants it is fulfilled; removed when that purchase is refunded."""

    __tablename__ = "message_unlocks"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payment_id: Mapped[str | None] = mapped_column(String(40))
    purchase_id: Mapped[str | None] = mapped_column(String(40))
    unlocked_at: Mapped[datetime] = mapped_column(default=utcnow)
