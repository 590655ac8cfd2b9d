from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from settle_kit.money import Amount, Currency
from settle_kit.schemas import UserId


class Sale(BaseModel):
    """A purchase of a paid message, as messaging decided it."""

    model_config = ConfigDict(extra="forbid")
    purchase_id: str = Field(min_length=1, max_length=40)
    message_id: str = Field(min_length=1, max_length=40)
    buyer_id: UserId
    seller_id: UserId
    amount: Amount
    currency: Currency


class SaleCheckoutCreate(Sale):
    opened_at: datetime = Field(description="When the purchase was opened: fixes the session's expiry")
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None


class SaleCheckoutOut(BaseModel):
    session_id: str
    url: str
    payment_id: str = Field(description="The payment the session's completion records")


class SaleRefundCreate(Sale):
    method: Literal["card", "credits"]
    payment_id: str | None = Field(None, max_length=40)


class SaleRefundOut(BaseModel):
    id: str
    amount: int
    currency: str
    status: str
