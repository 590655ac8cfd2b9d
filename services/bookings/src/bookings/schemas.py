"""Field types bookings' API shares."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from settle_kit.money import MAX_AMOUNT, Currency


class MoneyOut(BaseModel):
    """Money as API.md states it; unlike a request's Money, an amount may be 0 (free sessions)."""

    amount: int
    currency: str


class Rate(BaseModel):
    """A rate per minute: like Money, but 0 is allowed and means free sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    amount: Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT, description="Integer minor units per minute; 0 = free")]
    currency: Currency
