"""Bookings' synchronous calls to billing's internal API, where an answer is needed now: a new
booking's payment (its `client_secret`), an expert's onboarding link, a payout's transfer.

The kit's `InternalClient` does the calling (service token, idempotency keys, bounded retries,
no call inside a transaction); this names billing's operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from settle_kit.internal_client import InternalClient
from settle_kit.internal_client import InternalError as BillingError
from settle_kit.internal_client import InternalUnavailable as BillingUnavailable

__all__ = ["BillingClient", "BillingError", "BillingUnavailable"]


@dataclass
class BillingClient(InternalClient):
    caller: str = "bookings"

    async def open_booking_payment(
        self, *, booking_id: str, payer_id: str, payee_id: str, amount: int, currency: str, description: str
    ) -> dict:
        body = {"booking_id": booking_id, "payer_id": payer_id, "payee_id": payee_id, "amount": amount, "currency": currency,
                "description": description}
        return await self._call("POST", "/internal/booking-payments", json=body, key=f"booking-payment-{booking_id}")

    async def open_payout_account(self, user_id: str) -> dict:
        # Naturally idempotent (one account per user; each answer carries a fresh onboarding link).
        return await self._call("POST", "/internal/payout-accounts", json={"user_id": user_id})

    async def transfer_for(
        self, *, reference_type: str, reference_id: str, payment_id: str | None, payee_id: str, amount: int, currency: str, key: str
    ) -> dict:
        """The one transfer paying `payee_id` their `amount` of the payment of (`reference_type`, `reference_id`)
        (None: a sale paid in credits, funded from the platform's balance)."""
        body = {"reference_type": reference_type, "reference_id": reference_id, "payment_id": payment_id, "payee_id": payee_id,
                "amount": amount, "currency": currency}
        return await self._call("POST", "/internal/transfers", json=body, key=key)
