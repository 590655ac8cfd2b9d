from pydantic import BaseModel, ConfigDict, Field

from settle_kit.money import Amount, Currency
from settle_kit.schemas import UserId


class BookingPaymentCreate(BaseModel):
    """What bookings asks for when a paid booking is made (internal API)."""

    model_config = ConfigDict(extra="forbid")
    booking_id: str = Field(min_length=1, max_length=64)
    payer_id: UserId
    payee_id: UserId
    amount: Amount
    currency: Currency
    description: str | None = Field(None, max_length=500)
