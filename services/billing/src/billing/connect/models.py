"""Stripe Connect: one Express account per payee, and transfers to them.

A transfer pays for one reference (e.g. a booking) and there is at most one per reference, ever:
the unique key is the last line of defence against paying an expert twice.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from billing.models import Base


class PayoutAccount(Base):
    __tablename__ = "payout_accounts"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Empty until Stripe answered; the row exists first so that concurrent opens of one user's
    # account queue on its lock.
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("reference_type", "reference_id", name="uq_transfers_reference"),
        CheckConstraint("amount >= 0 AND amount <= gross_amount", name="amount_within_gross"),
        CheckConstraint("amount_reversed >= 0 AND amount_reversed <= amount", name="reversed_within_amount"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference_type: Mapped[str] = mapped_column(String(40))
    reference_id: Mapped[str] = mapped_column(String(64))
    # None for a sale paid in credits (funded from the platform's balance; see transfers.py).
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    payee_id: Mapped[str] = mapped_column(String(64))
    destination: Mapped[str] = mapped_column(String(255))
    transfer_group: Mapped[str] = mapped_column(String(255))
    # What the payee earns from the whole payment; `amount` is what was sent after refunds made
    # before the transfer took their share.
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # `pending` (decided, Stripe not asked yet or not answered), `paid` (a Stripe transfer exists)
    # or `void` (refunds left nothing to send).
    status: Mapped[str] = mapped_column(String(20))
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TransferReversal(Base):
    """Also the claim of a reversal in flight: written (without `stripe_reversal_id`) before Stripe
    is asked, so a transfer has one reversal being made at a time."""

    __tablename__ = "transfer_reversals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    stripe_reversal_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
