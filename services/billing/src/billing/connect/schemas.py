from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_kit.money import Amount, Currency
from settle_kit.schemas import UserId


class PayoutAccountOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId


class PayoutAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    user_id: str
    account_id: str | None = Field(validation_alias="stripe_account_id")
    payouts_enabled: bool
    charges_enabled: bool
    details_submitted: bool
    updated_at: datetime


class OpenedPayoutAccount(PayoutAccountOut):
    onboarding_url: str


class TransferCreate(BaseModel):
    """Pay a payee their share of one payment. `amount` is their share of the whole payment;
    billing sends less when part of the payment was refunded already (see connect/transfers.py)."""

    model_config = ConfigDict(extra="forbid")
    reference_type: Literal["booking", "message_purchase"]
    reference_id: str = Field(min_length=1, max_length=64)
    payment_id: str | None = Field(None, min_length=1, max_length=40, description="None: a sale paid in credits")
    payee_id: UserId
    amount: Amount
    currency: Currency


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    reference_type: str
    reference_id: str
    payment_id: str | None
    payee_id: str
    destination: str
    transfer_group: str
    gross_amount: int
    amount: int
    amount_reversed: int
    currency: str
    status: str
    stripe_transfer_id: str | None
