from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from notifications.models import Base


class Contact(Base):
    """A user's phone for texts (one per user)."""

    __tablename__ = "contacts"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OptOut(Base):
    """A number that must not be texted: it sent STOP (or a synonym), or Twilio answered 21610.
    Per number, not per user: an invoice's customer who is no user opts out too."""

    __tablename__ = "opt_outs"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    # `keyword` (the person texted STOP) or `twilio_21610` (Twilio refused to text them).
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
