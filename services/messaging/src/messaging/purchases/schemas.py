from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from settle_kit.money import Money

from messaging.purchases.models import MessagePurchase


class MessagePurchaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["card", "credits"]
    success_url: HttpUrl | None = Field(None, description="Where Stripe's page sends the buyer once paid (card)")
    cancel_url: HttpUrl | None = Field(None, description="Where Stripe's page sends a buyer who gives up (card)")


class MessagePurchaseOut(BaseModel):
    id: str
    message_id: str
    buyer_id: str
    seller_id: str
    method: Literal["card", "credits"]
    status: Literal["pending", "completed", "failed", "expired", "refunded"]
    price: Money
    checkout_url: str | None = Field(None, description="Stripe's hosted page, while a card purchase is pending (buyer only)")
    payment_id: str | None = None
    created_at: datetime
    completed_at: datetime | None = None

    @classmethod
    def seen_by(cls, purchase: MessagePurchase, viewer_id: str) -> "MessagePurchaseOut":
        return cls(
            id=purchase.id, message_id=purchase.message_id, buyer_id=purchase.buyer_id, seller_id=purchase.seller_id,
            method=purchase.method, status=purchase.status,
            price=Money(amount=purchase.price_amount, currency=purchase.price_currency),
            checkout_url=purchase.checkout_url if viewer_id == purchase.buyer_id and purchase.status == "pending" else None,
            payment_id=purchase.payment_id, created_at=purchase.created_at, completed_at=purchase.completed_at,
        )


class MessagePurchaseRefundOut(BaseModel):
    id: str
    purchase_id: str
    amount: int
    currency: str
    status: str
