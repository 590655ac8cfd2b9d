from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from settle_kit.models import utcnow

from messaging.models import Base


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime | None]
    # The number of the conversation's last event (live/feed.py); its row lock orders them.
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    participants: Mapped[list["Participant"]] = relationship(
        lazy="selectin", order_by="Participant.joined_at", cascade="all, delete-orphan"
    )

    @property
    def participant_ids(self) -> list[str]:
        return [p.user_id for p in self.participants]

    def hidden_for(self, user_id: str) -> bool:
        return any(p.user_id == user_id and p.hidden_at is not None for p in self.participants)

    def participant(self, user_id: str) -> "Participant | None":
        return next((p for p in self.participants if p.user_id == user_id), None)


class Participant(Base):
    __tablename__ = "conversation_participants"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Per-user hiding: the conversation is left out of this user's list, nothing is deleted.
    hidden_at: Mapped[datetime | None]
