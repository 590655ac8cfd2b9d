from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow
from settle_kit.work_queue import QueuedWork

from billing.models import Base


class StripeTask(Base, QueuedWork):
    """Stripe work decided in one transaction and done later on the kit's work queue, with retries
    (see stripe_tasks/runner.py); `status` is pending | running | done | dead.

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
    outcome: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
