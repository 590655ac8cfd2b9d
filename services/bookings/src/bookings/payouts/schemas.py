from typing import Literal

from pydantic import BaseModel, Field

PayoutStatus = Literal["pending", "paid", "void"]
SourceType = Literal["booking", "message_sale"]


class PayoutSource(BaseModel):
    type: SourceType
    id: str


class PayoutRow(BaseModel):
    """One payee's payouts in one currency and status, from every kind of earning."""

    payee_id: str
    expert_id: str = Field(description="The payee (named so before paid messages had sellers)")
    sources: list[PayoutSource]
    booking_ids: list[str] = Field(description="The sources that are bookings")
    amount: int = Field(description="Minor units: what is owed (pending) or was sent (paid)")
    currency: str
    status: PayoutStatus
    amount_reversed: int = Field(0, description="Taken back from paid transfers by later refunds")
    payouts_enabled: bool


class PayoutRows(BaseModel):
    data: list[PayoutRow]
    has_more: bool


class PaidBooking(BaseModel):
    """One earning paid (or voided) by the run."""

    source: PayoutSource
    payee_id: str
    booking_id: str | None = Field(description="The source's id when it is a booking")
    expert_id: str = Field(description="The payee")
    amount: int
    currency: str
    status: Literal["paid", "void"]
    transfer_id: str | None


class FailedPayout(BaseModel):
    source: PayoutSource
    booking_id: str | None
    expert_id: str
    code: str
    detail: str


class PayoutRunSummary(BaseModel):
    paid: list[PaidBooking] = Field(description="Transfers made by this run (void: refunds left nothing to send)")
    failed: list[FailedPayout] = Field(description="Left pending; the next run tries again")
    waiting_for_payouts_enabled: int = Field(description="Pending payouts of payees who cannot receive payouts yet")
