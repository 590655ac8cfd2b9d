from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from messaging.models import Base

PENDING, COMPLETED, FAILED, EXPIRED, REFUNDED = "pending", "completed", "failed", "expired", "refunded"
LIVE = (PENDING, COMPLETED)  # at most one of these per (message, buyer): uq_message_purchases_live


class MessagePurchase(Base):
    """A buyer's purchase of a paid message. It only moves forward:

        pending -> completed -> refunded
        pending -> failed | expired
    """

    __tablename__ = "message_purchases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    conversation_id: Mapped[str] = mapped_column(String(40))
    buyer_id: Mapped[str] = mapped_column(String(64))
    seller_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))  # card | credits
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
