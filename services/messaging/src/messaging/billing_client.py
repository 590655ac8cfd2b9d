"""Messaging's synchronous calls to billing, where a purchase needs an answer now: a Checkout
Session to pay on, a debit of the buyer's credits, a refund. The kit's `InternalClient` does the
calling; every key is fixed by the purchase, so a repeated call never charges twice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from settle_kit.internal_client import InternalClient
from settle_kit.internal_client import InternalError as BillingError
from settle_kit.internal_client import InternalUnavailable as BillingUnavailable

from messaging.purchases.models import MessagePurchase

__all__ = ["BillingClient", "BillingError", "BillingUnavailable", "credits_for"]


def credits_for(purchase: MessagePurchase) -> Decimal:
    """1 credit per 1.00 of a USD price."""
    return (Decimal(purchase.price_amount) / 100).quantize(Decimal("0.000001"))


def _sale(purchase: MessagePurchase) -> dict:
    return {
        "purchase_id": purchase.id, "message_id": purchase.message_id, "buyer_id": purchase.buyer_id,
        "seller_id": purchase.seller_id, "amount": purchase.price_amount, "currency": purchase.price_currency,
    }


@dataclass
class BillingClient(InternalClient):
    caller: str = "messaging"

    async def open_checkout(self, purchase: MessagePurchase, *, success_url: str | None, cancel_url: str | None) -> dict:
        """`{session_id, url}` of the purchase's one Checkout Session (purpose `message_unlock`)."""
        body = {**_sale(purchase), "opened_at": purchase.created_at.isoformat(), "success_url": success_url, "cancel_url": cancel_url}
        return await self._call("POST", "/internal/message-sales/checkouts", json=body, key=f"message-purchase-{purchase.id}")

    async def debit_credits(self, purchase: MessagePurchase) -> dict:
        body = {
            "user_id": purchase.buyer_id, "amount": str(credits_for(purchase)), "description": "Unlocked a paid message",
            "reference_type": "message_purchase", "reference_id": purchase.id,
        }
        return await self._call("POST", "/v1/balance/debits", json=body, key=f"message-purchase-{purchase.id}")

    async def refund(self, purchase: MessagePurchase) -> dict:
        """The purchase's money back to the buyer: the card payment refunded, or the credits returned."""
        body = {**_sale(purchase), "method": purchase.method, "payment_id": purchase.payment_id}
        return await self._call("POST", "/internal/message-sales/refunds", json=body, key=f"message-refund-{purchase.id}")
