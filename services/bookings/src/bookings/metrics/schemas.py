from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bookings.schemas import MoneyOut

Window = Literal["24h", "7d", "30d"]


class PendingPayouts(MoneyOut):
    count: int


class Metrics(BaseModel):
    window: Window
    since: datetime
    bookings_created: int = Field(description="Bookings made in the window")
    payment_success_rate: float | None = Field(
        description="Of the priced bookings made in the window whose payment is decided (paid, or expired/cancelled unpaid), "
        "the share that was paid; null when there is none"
    )
    platform_revenue: list[MoneyOut] = Field(
        description="Fees of the bookings completed in the window, per currency (a booking refunded after completion is left out)"
    )
    pending_payouts: list[PendingPayouts] = Field(description="What completed bookings owe experts now, per currency (not windowed)")
