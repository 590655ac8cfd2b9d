from typing import Literal

from pydantic import BaseModel, Field

PayoutStatus = Literal["pending", "paid", "void"]


class PayoutRow(BaseModel):
    """One expert's payouts in one currency and status."""

    expert_id: str
    booking_ids: list[str]
    amount: int = Field(description="Minor units: what is owed (pending) or was sent (paid)")
    currency: str
    status: PayoutStatus
    amount_reversed: int = Field(0, description="Taken back from paid transfers by later refunds")
    payouts_enabled: bool


class PayoutRows(BaseModel):
    data: list[PayoutRow]
    has_more: bool


class PaidBooking(BaseModel):
    booking_id: str
    expert_id: str
    amount: int
    currency: str
    status: Literal["paid", "void"]
    transfer_id: str | None


class FailedPayout(BaseModel):
    booking_id: str
    expert_id: str
    code: str
    detail: str


class PayoutRunSummary(BaseModel):
    paid: list[PaidBooking] = Field(description="Transfers made by this run (void: refunds left nothing to send)")
    failed: list[FailedPayout] = Field(description="Left pending; the next run tries again")
    waiting_for_payouts_enabled: int = Field(description="Pending payouts of experts who cannot receive payouts yet")
