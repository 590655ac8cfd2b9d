from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from settle_kit.schemas import UserId

from bookings.bookings.models import Booking
from bookings.schemas import MoneyOut


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert_id: UserId
    start_time: AwareDatetime = Field(description="ISO 8601 with a time zone; in the future")
    duration_minutes: Annotated[StrictInt, Field(ge=15, le=240, multiple_of=5, description="15-240, in steps of 5")]


class BookingCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500)


class BookingOut(BaseModel):
    id: str
    expert_id: str
    requester_id: str
    start_time: datetime
    end_time: datetime
    duration_minutes: int
    status: str
    price: MoneyOut
    platform_fee: MoneyOut
    expert_payout: MoneyOut
    payment_id: str | None
    client_secret: str | None = Field(
        description="For the requester only, while the booking awaits payment: confirms the payment with Stripe"
    )
    created_at: datetime
    hold_expires_at: datetime | None = Field(description="An unpaid booking expires then")
    amount_refunded: MoneyOut
    cancellation_reason: str | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    payout_status: str | None = Field(description="pending, paid or void once completed; null while nothing is owed")

    @classmethod
    def seen_by(cls, booking: Booking, viewer_id: str) -> "BookingOut":
        def money(amount: int) -> MoneyOut:
            return MoneyOut(amount=amount, currency=booking.currency)

        return cls(
            id=booking.id,
            expert_id=booking.expert_id,
            requester_id=booking.requester_id,
            start_time=booking.start_time,
            end_time=booking.end_time,
            duration_minutes=booking.duration_minutes,
            status=booking.status,
            price=money(booking.price),
            platform_fee=money(booking.platform_fee),
            expert_payout=money(booking.expert_payout),
            payment_id=booking.payment_id,
            # Whoever holds it can pay: only the payer gets it, and only while there is something to pay.
            client_secret=booking.client_secret if viewer_id == booking.requester_id and booking.awaits_payment else None,
            created_at=booking.created_at,
            hold_expires_at=booking.hold_expires_at,
            amount_refunded=money(booking.amount_refunded),
            cancellation_reason=booking.cancellation_reason,
            completed_at=booking.completed_at,
            cancelled_at=booking.cancelled_at,
            payout_status=booking.payout_status,
        )
