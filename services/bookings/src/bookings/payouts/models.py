from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bookings.models import Base


class Earning(Base):
    """Money owed to a payee from another context (a sale of a paid message), paid by the same
    payout run as bookings. Its payout columns are named as a booking's, so one engine moves both."""

    __tablename__ = "earnings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(20))  # message_sale
    payee_id: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int] = mapped_column(BigInteger)
    fee_bps: Mapped[int]
    platform_fee: Mapped[int] = mapped_column(BigInteger)
    earning: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    payout_status: Mapped[str] = mapped_column(String(20))
    payout_amount: Mapped[int | None] = mapped_column(BigInteger)
    payout_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    payout_claimed_until: Mapped[datetime | None]
    earned_at: Mapped[datetime]
    paid_out_at: Mapped[datetime | None]
