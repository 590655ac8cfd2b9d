from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from messaging.models import Base


class ConversationEvent(Base):
    """One committed change of a conversation, as its live stream shows it (numbered per
    conversation without gaps, in commit order)."""

    __tablename__ = "conversation_events"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))  # message.created | message.unlocked | message.updated
    message_id: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str | None] = mapped_column(String(64))  # one user only, or everyone (None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
