from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bookings.models import Base


class Payee(Base):
    """Anyone the payout engine pays (an expert, a seller of paid messages): bookings' copy of the
    Connect account billing opened for them, kept from billing's answers and
    `billing.payout_account.updated`. No row: no account, so no payouts yet."""

    __tablename__ = "payees"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payout_account_id: Mapped[str] = mapped_column(String(255))
    payouts_enabled: Mapped[bool]
    # Billing's time of the report this row holds: reports arrive in any order, the newest wins.
    updated_at: Mapped[datetime]
