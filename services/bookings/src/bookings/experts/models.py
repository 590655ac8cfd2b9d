from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from bookings.models import Base


class Expert(Base):
    """A user who sells their time. The payout account fields are bookings' copy of billing's
    Connect account, kept from `billing.payout_account.updated`."""

    __tablename__ = "experts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    rate_amount: Mapped[int] = mapped_column(BigInteger)
    rate_currency: Mapped[str] = mapped_column(String(3))
    payout_account_id: Mapped[str | None] = mapped_column(String(255))
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    payout_account_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
