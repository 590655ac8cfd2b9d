from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from settle_kit.money import Amount, Currency
from settle_kit.schemas import UserId

from billing.payments.states import Status


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payee_id: UserId
    project_id: str = Field(min_length=1, max_length=40)
    conversation_id: str | None = Field(None, min_length=1, max_length=40)
    amount: Amount
    currency: Currency
    description: str | None = Field(None, max_length=500)


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    purpose: str
    status: Status
    amount: int
    currency: str
    amount_refunded: int
    payer_id: str
    payee_id: str | None
    project_id: str | None
    conversation_id: str | None
    description: str | None
    client_secret: str | None
    stripe_payment_intent_id: str | None
    created_at: datetime
    succeeded_at: datetime | None

    @classmethod
    def seen_by(cls, payment: object, viewer_id: str) -> PaymentOut:
        """The payment as `viewer_id` may see it: the client secret confirms the payment, so only
        the payer gets it (the payee and admins see null)."""
        out = cls.model_validate(payment)
        if out.payer_id != viewer_id:
            out.client_secret = None
        return out


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount | None = None


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str = Field(description="`pending` until Stripe has taken it, then Stripe's status; `failed` if Stripe refused it")
    failure_code: str | None = None
    created_at: datetime
