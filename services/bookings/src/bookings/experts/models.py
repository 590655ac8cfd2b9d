from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from bookings.models import Base


class Expert(Base):
    """A user who sells their time. Their payout account is a payee's, as for anyone who earns
    (`payout_accounts.models.Payee`). The table still has the columns that held it before
    (migration 0007): no longer read or written, left for the previous release during a rolling
    deploy."""

    __tablename__ = "experts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    rate_amount: Mapped[int] = mapped_column(BigInteger)
    rate_currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
