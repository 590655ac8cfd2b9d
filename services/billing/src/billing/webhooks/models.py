from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow
from settle_kit.work_queue import QueuedWork

from billing.models import Base


class StripeEvent(Base, QueuedWork):
    """A verified Stripe event, stored before it is processed (unique on Stripe's id), and queued
    for processing on the kit's work queue (`processed_at` is when it was done)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
