from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from billing.models import Base


class StripeTask(Base):
    """Stripe work decided in one transaction and done later, with retries (see stripe_tasks/runner.py).

    The id is derived from what asked for the work (e.g. the booking a refund is for), so the
    same request arriving twice is one task, and Stripe's idempotency keys derive from it.
    """

    __tablename__ = "stripe_tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    # For refunds: how much (None: whatever is left).
    amount: Mapped[int | None] = mapped_column(BigInteger)
    requested_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | failed
    outcome: Mapped[str | None] = mapped_column(String(60))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
