"""The one place billing builds its Stripe clients (official SDK, async over httpx) and maps
Stripe's errors to problems.

Every call goes through `settle_kit.breaker`: a circuit breaker shared by the whole process (a dead
Stripe fails fast with 503 + `Retry-After` instead of every call waiting out its timeout) and, for
calls made by request handlers, a bulkhead (at most `stripe_max_concurrent_requests` in flight;
the next fails at once). Calls have a short timeout (`stripe_timeout_s`) and are retried on
network errors and 5xx only when repeating them is harmless: reads, and creations that carry an
idempotency key (all of ours do). A call is one structured log line: method, path, status,
duration, Stripe's request id (the SDK's own three lines and httpx's are silenced).

No call may be made while a database transaction is open: callers record what they decided,
commit, call, and record the outcome in a second transaction.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe

from settle_kit.breaker import Bulkhead, OutsideService
from settle_kit.errors import BadGateway, PaymentRequired, ProblemError, ServiceUnavailable, Unprocessable
from settle_kit.models import utcnow

from billing.config import Settings

log = logging.getLogger("billing.stripe")

# How long a caller should wait after a transient failure while the circuit is still closed.
RETRY_AFTER_S = 2


class _FailedResponse(Exception):
    """A 5xx or 429 answer: a failure for the circuit breaker, though the SDK gets the answer."""


def is_transient(exc: BaseException) -> bool:
    """Stripe did not decide (unreachable, timed out, overloaded, or busy with the same key): the
    same call may succeed later. Anything else is Stripe's answer about the request itself."""
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.IdempotencyError, _FailedResponse, ServiceUnavailable)):
        return True
    if isinstance(exc, stripe.APIError):  # Stripe's generic error: its own trouble
        return exc.http_status is None or exc.http_status >= 500
    return isinstance(exc, stripe.StripeError) and (exc.http_status or 0) >= 500


class GuardedHTTPXClient(stripe.HTTPXClient):
    """The SDK's httpx client with the breaker, an optional bulkhead, retries only where safe,
    and one log line per call."""

    def __init__(self, service: OutsideService, bulkhead: Bulkhead | None, *, timeout_s: float) -> None:
        super().__init__(timeout=timeout_s)
        self.service = service
        self.bulkhead = bulkhead

    async def request_with_retries_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data=None, max_network_retries: int | None = None, *, _usage=None
    ) -> tuple[Any, int, Any]:
        if method.lower() == "post" and not any(k.lower() == "idempotency-key" for k in headers):
            max_network_retries = 0  # a repeat could make a second object
        began = time.perf_counter()
        status: int | str = "error"
        response_headers: Mapping[str, str] = {}
        try:
            try:
                async with self.service.call(self.bulkhead):
                    response = await super().request_with_retries_async(
                        method, url, headers, post_data, max_network_retries, _usage=_usage
                    )
                    status, response_headers = response[1], response[2] or {}
                    if status >= 500 or status == 429:
                        raise _FailedResponse
            except _FailedResponse:
                pass
            return response
        except ServiceUnavailable:
            status = "refused"  # breaker open or bulkhead full: Stripe was not asked
            raise
        except stripe.APIConnectionError:
            status = "unreachable"
            raise
        finally:
            log.info(
                "stripe call",
                extra={
                    "stripe_method": method.upper(),
                    "stripe_path": urlsplit(url).path,
                    "stripe_status": status,
                    "duration_ms": round((time.perf_counter() - began) * 1000, 1),
                    "stripe_request_id": response_headers.get("request-id"),
                },
            )


class StripeClients:
    """One process's Stripe clients: `background` for loops and tasks, `requests` for request
    handlers (with the bulkhead). Both share the circuit breaker and the settings."""

    def __init__(self, settings: Settings) -> None:
        self.service = OutsideService(
            "stripe",
            failure_threshold=settings.stripe_breaker_threshold,
            reset_after_s=settings.stripe_breaker_reset_s,
            is_failure=is_transient,
            code="stripe_unavailable",
        )
        # The longest a call can take (every attempt timing out, plus the SDK's back-off): work a
        # request decided is left to the background only after this, so both do not call at once.
        self.call_deadline_s = settings.stripe_timeout_s * (1 + settings.stripe_max_retries) + settings.stripe_max_retries + 1
        self.background = self._client(settings, None)
        self.requests = self._client(settings, self.service.bulkhead(settings.stripe_max_concurrent_requests))

    def _client(self, settings: Settings, bulkhead: Bulkhead | None) -> stripe.StripeClient:
        client = stripe.StripeClient(
            settings.stripe_api_key.get_secret_value(),
            base_addresses={"api": settings.stripe_api_base},
            http_client=GuardedHTTPXClient(self.service, bulkhead, timeout_s=settings.stripe_timeout_s),
            max_network_retries=settings.stripe_max_retries,
        )
        client.settle_clients = self  # type: ignore[attr-defined]  (how request handlers find theirs)
        return client


def create_stripe_client(settings: Settings) -> stripe.StripeClient:
    """The background client; `requests_client(it)` is the request handlers' twin."""
    # One line per call is ours (GuardedHTTPXClient); the SDK logs three and httpx one more.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return StripeClients(settings).background


def requests_client(client: stripe.StripeClient) -> stripe.StripeClient:
    clients = getattr(client, "settle_clients", None)
    return clients.requests if clients is not None else client


def handover_at(client: stripe.StripeClient) -> datetime:
    """When the background may take over work a request decided and is calling Stripe for."""
    clients = getattr(client, "settle_clients", None)
    return utcnow() + timedelta(seconds=clients.call_deadline_s if clients is not None else 10)


def retry_after(exc: BaseException) -> int:
    return getattr(exc, "retry_after_s", None) or RETRY_AFTER_S


def unavailable(exc: BaseException | None = None) -> ServiceUnavailable:
    """The 503 for a call that Stripe did not decide (the work, if any, finishes in the background)."""
    if isinstance(exc, ServiceUnavailable):
        return exc
    return ServiceUnavailable(
        "Stripe is not answering; what you asked for is recorded and will complete. Try again later.",
        code="stripe_unavailable",
        retry_after_s=RETRY_AFTER_S,
    )


# Stripe's parameter names where ours differ (Stripe names the field it refused in `param`).
_FIELDS = {"amount": "amount", "currency": "currency", "payment_intent": "payment_id", "destination": "payee_id"}


def problem(exc: stripe.StripeError, *, field: str | None = None) -> ProblemError:
    """The problem a Stripe error becomes: never a 500."""
    if is_transient(exc):
        return unavailable(exc)
    # Our codes are a fixed set (the OpenAPI document enumerates them); Stripe's own code rides
    # beside ours, as Stripe puts `decline_code` beside its `card_declined`.
    stripe_code = getattr(exc, "code", None)
    message = exc.user_message or str(exc)
    if isinstance(exc, stripe.CardError):
        decline_code = getattr(exc.error, "decline_code", None) if exc.error else None
        return PaymentRequired(message, code="card_declined", **({"decline_code": decline_code} if decline_code else {}))
    if isinstance(exc, stripe.InvalidRequestError):
        param = getattr(exc, "param", None)
        named = field or (_FIELDS.get(param.split("[")[0], param) if param else None)
        return Unprocessable(message, code="stripe_invalid_request", field=named, **({"stripe_code": stripe_code} if stripe_code else {}))
    # Authentication or permission: our configuration is wrong, not the caller's request.
    return BadGateway("Stripe refused billing's credentials.", code="stripe_misconfigured")
