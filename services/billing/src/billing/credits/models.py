"""Credit packages, purchases, and the double-entry credit ledger.

Every movement is one `CreditTransaction` with two `CreditEntry` postings that sum to zero: one
on a user's wallet and one on a platform account. Only wallets keep a running balance (the row
a debit locks); platform accounts are summed when needed, so they are never a hot row that
would serialise every wallet's debits. Entries and transactions are immutable (a database
trigger refuses UPDATE and DELETE): a correction is a new transaction.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from billing.models import Base

CREDITS = Numeric(18, 6)
# The unit every credit account and entry is kept in; per-currency credits would add others.
CREDIT_UNIT = "credits"


class CreditPackage(Base):
    __tablename__ = "credit_packages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    credits: Mapped[Decimal] = mapped_column(CREDITS)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CreditPurchase(Base):
    """A package bought with a card: a `credit_purchase` payment whose outcome it mirrors."""

    __tablename__ = "credit_purchases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("credit_packages.id"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    credits: Mapped[Decimal] = mapped_column(CREDITS)
    granted_at: Mapped[datetime | None]
    credits_clawed_back: Mapped[Decimal] = mapped_column(CREDITS, default=Decimal(0))
    credits_written_off: Mapped[Decimal] = mapped_column(CREDITS, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CreditAccount(Base):
    """`wallet:<user_id>` (kind `wallet`, with a balance that may never go below zero) or a
    platform account such as `platform:issued` (kind `platform`, no running balance)."""

    __tablename__ = "credit_accounts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(10), default=CREDIT_UNIT)
    balance: Mapped[Decimal | None] = mapped_column(CREDITS)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditTransaction(Base):
    __tablename__ = "credit_transactions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditEntry(Base):
    __tablename__ = "credit_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("credit_transactions.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("credit_accounts.id"))
    # The wallet's owner, copied so a user's statement is one index range.
    user_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(CREDITS)
    currency: Mapped[str] = mapped_column(String(10), default=CREDIT_UNIT)
    balance_before: Mapped[Decimal | None] = mapped_column(CREDITS)
    balance_after: Mapped[Decimal | None] = mapped_column(CREDITS)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
