from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from bookings.bookings import states
from bookings.models import Base


class Booking(Base):
    """A session with an expert. Money in integer minor units of `currency`; the migration's
    constraints keep `price = platform_fee + expert_payout` and no two slot-holding bookings of
    one expert overlapping, whatever the code above does."""

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    expert_id: Mapped[str] = mapped_column(String(64))
    requester_id: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    rate_per_minute: Mapped[int] = mapped_column(BigInteger)
    fee_bps: Mapped[int]
    price: Mapped[int] = mapped_column(BigInteger)
    platform_fee: Mapped[int] = mapped_column(BigInteger)
    expert_payout: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[str | None] = mapped_column(String(40))
    client_secret: Mapped[str | None] = mapped_column(String(255))
    hold_expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    expired_at: Mapped[datetime | None]
    # Asked for by the cancellation; `amount_refunded` is what billing reports as refunded.
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    payout_status: Mapped[str | None] = mapped_column(String(20))
    payout_amount: Mapped[int | None] = mapped_column(BigInteger)
    payout_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    paid_out_at: Mapped[datetime | None]
    # A payout run's claim while it asks billing for the transfer (no row lock is held meanwhile).
    payout_claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def awaits_payment(self) -> bool:
        return self.status == states.AWAITING_PAYMENT and self.paid_at is None
