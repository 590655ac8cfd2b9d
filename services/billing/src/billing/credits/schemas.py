from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from settle_kit.credits import CreditsOut, PositiveCredits, SignedCredits
from settle_kit.money import Amount, Money
from settle_kit.schemas import UserId


class PackageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    price: Money
    credits: PositiveCredits
    sort_order: int = Field(0, ge=0, le=1_000_000)


class PackageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    price: Money | None = None
    credits: PositiveCredits | None = None
    sort_order: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None


class PackageOut(BaseModel):
    id: str
    name: str
    description: str | None
    price: Money
    credits: CreditsOut
    sort_order: int


class AdminPackageOut(PackageOut):
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PurchaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package_id: str = Field(min_length=1, max_length=40)


class PurchaseOut(BaseModel):
    id: str
    package_id: str
    status: str
    price: Money
    credits: CreditsOut
    client_secret: str | None
    payment_id: str
    amount_refunded: int
    credits_clawed_back: CreditsOut
    credits_written_off: CreditsOut
    granted_at: datetime | None
    created_at: datetime


class PurchaseRefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount | None = Field(None, description="Minor units; by default the price of the credits still unspent")


class PurchaseRefundOut(BaseModel):
    id: str
    payment_id: str
    purchase_id: str
    amount: int
    currency: str
    status: str
    credits_clawed_back: CreditsOut
    credits_written_off: CreditsOut


class BalanceOut(BaseModel):
    user_id: str
    credits: CreditsOut
    updated_at: datetime | None


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    user_id: str
    amount: CreditsOut
    balance_before: CreditsOut
    balance_after: CreditsOut
    type: str
    description: str | None
    reference_type: str | None
    reference_id: str | None
    created_at: datetime


class DebitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    amount: PositiveCredits
    description: str = Field(min_length=1, max_length=500)
    reference_type: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_.-]*$")
    reference_id: str = Field(min_length=1, max_length=64)


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    amount: SignedCredits
    description: str = Field(min_length=1, max_length=500)
