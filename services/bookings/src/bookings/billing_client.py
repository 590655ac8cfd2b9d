"""Bookings' synchronous calls to billing's internal API, where an answer is needed now: a new
booking's payment (its `client_secret`), an expert's onboarding link, a payout's transfer.

Every call is authenticated as the service `bookings` and carries an idempotency key derived
from our own ids, so the bounded retries here (and a client retrying the whole request) can
never open two payments for a booking or pay an expert twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from settle_kit.auth import mint_token
from settle_kit.models import utcnow

log = logging.getLogger(__name__)

TOKEN_TTL = timedelta(hours=1)


class BillingError(Exception):
    """Billing refused (4xx): `status` and its problem `code`, to map or pass on."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"billing answered {status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


class BillingUnavailable(Exception):
    """Billing could not be reached or failed (5xx) on every attempt."""


class _Transient(Exception):
    pass


@dataclass
class BillingClient:
    base_url: str
    jwt_secret: str
    timeout_s: float = 10.0
    attempts: int = 3

    def __post_init__(self) -> None:
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s)
        self._token: tuple[str, Any] | None = None

    async def close(self) -> None:
        await self._http.aclose()

    async def open_booking_payment(
        self, *, booking_id: str, payer_id: str, payee_id: str, amount: int, currency: str, description: str
    ) -> dict:
        body = {"booking_id": booking_id, "payer_id": payer_id, "payee_id": payee_id, "amount": amount, "currency": currency,
                "description": description}
        return await self._call("POST", "/internal/booking-payments", json=body, key=f"booking-payment-{booking_id}")

    async def open_payout_account(self, user_id: str) -> dict:
        # Naturally idempotent (one account per user; each answer carries a fresh onboarding link).
        return await self._call("POST", "/internal/payout-accounts", json={"user_id": user_id})

    async def transfer_for_booking(
        self, *, booking_id: str, payment_id: str, payee_id: str, amount: int, currency: str
    ) -> dict:
        body = {"reference_type": "booking", "reference_id": booking_id, "payment_id": payment_id, "payee_id": payee_id,
                "amount": amount, "currency": currency}
        return await self._call("POST", "/internal/transfers", json=body, key=f"booking-payout-{booking_id}")

    async def _call(self, method: str, path: str, *, json: dict | None = None, key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self._service_token()}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.2, max=2),
                retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
                reraise=True,
            ):
                with attempt:
                    return await self._once(method, path, json, headers)
        except _Transient as exc:
            raise BillingUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, json: dict | None, headers: dict) -> dict:
        try:
            response = await self._http.request(method, path, json=json, headers=headers)
        except httpx.TransportError as exc:
            raise _Transient(f"{method} {path}: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"{method} {path}: {response.status_code} {response.text[:200]}")
        if response.status_code >= 400:
            problem = _problem(response)
            raise BillingError(response.status_code, problem.get("code", "billing_error"), problem.get("detail", response.text[:200]))
        return response.json()

    def _service_token(self) -> str:
        now = utcnow()
        if self._token is None or self._token[1] - now < TOKEN_TTL / 2:
            self._token = mint_token(self.jwt_secret, "bookings", "service", ttl=TOKEN_TTL)
        return self._token[0]


def _problem(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
