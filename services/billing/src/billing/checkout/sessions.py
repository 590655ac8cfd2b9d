"""Opening (and expiring) Checkout Sessions at Stripe: never inside a database transaction.

The caller decides and commits first, then calls `open_session`, then records the session it got
in a second short transaction. The idempotency key must be fixed by the caller's own ids, so a
retry after a lost answer gets the same session back instead of a second one.
"""

from __future__ import annotations

from datetime import datetime

import stripe

from settle_kit.errors import ProblemError, ServiceUnavailable

from billing import stripe_api

# Stripe's bounds on a session's life: at least 30 minutes, at most 24 hours.
MIN_LIFETIME_S = 30 * 60 + 60
MAX_LIFETIME_S = 24 * 3600 - 60


def metadata(*, purpose: str, reference_type: str, reference_id: str, payer_id: str, payee_id: str | None, **extra: str) -> dict[str, str]:
    """What a session of ours carries, so its events find the purpose that owns it."""
    return {
        "purpose": purpose, "reference_type": reference_type, "reference_id": reference_id, "payer_id": payer_id,
        "payee_id": payee_id or "", **extra,
    }


async def open_session(
    client: stripe.StripeClient,
    *,
    purpose: str,
    reference_type: str,
    reference_id: str,
    payer_id: str,
    payee_id: str | None,
    amount: int,
    currency: str,
    description: str,
    idempotency_key: str,
    expires_at: datetime | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
    extra_metadata: dict[str, str] | None = None,
) -> stripe.checkout.Session:
    """Creates a Checkout Session (mode `payment`) for one line of `amount`. Stripe unreachable:
    503 with Retry-After (`stripe_api.unavailable`); Stripe refusing: its problem (422 naming
    the field)."""
    meta = metadata(
        purpose=purpose, reference_type=reference_type, reference_id=reference_id, payer_id=payer_id, payee_id=payee_id,
        **(extra_metadata or {}),
    )
    params: dict = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": description[:250]}}}],
        "metadata": meta,
        # The PaymentIntent carries the same metadata: its own events and refunds point back here.
        "payment_intent_data": {"metadata": meta, "description": description[:1000]},
    }
    if expires_at is not None:
        params["expires_at"] = int(expires_at.timestamp())
    if success_url:
        params["success_url"] = success_url
    if cancel_url:
        params["cancel_url"] = cancel_url
    try:
        return await client.v1.checkout.sessions.create_async(params=params, options={"idempotency_key": idempotency_key})
    except (stripe.StripeError, ServiceUnavailable) as exc:
        raise _problem(exc) from exc


async def expire_session(client: stripe.StripeClient, session_id: str) -> stripe.checkout.Session | None:
    """Closes an open session so it can no longer be paid; None when it is no longer open (paid or
    expired meanwhile: the caller learns which from its events)."""
    try:
        return await client.v1.checkout.sessions.expire_async(session_id)
    except stripe.InvalidRequestError:
        return None
    except (stripe.StripeError, ServiceUnavailable) as exc:
        raise _problem(exc) from exc


def _problem(exc: BaseException) -> ProblemError:
    if stripe_api.is_transient(exc):
        return stripe_api.unavailable(exc)
    return stripe_api.problem(exc)  # type: ignore[arg-type]
