"""FastAPI dependencies of billing's endpoints."""

from collections.abc import AsyncIterator
from typing import Annotated

import stripe
from fastapi import Depends, Request

from settle_kit.auth import Principal, require_role

from billing import stripe_api


async def stripe_client(request: Request) -> AsyncIterator[stripe.StripeClient]:
    """The request handlers' Stripe client (bounded by its bulkhead). A Stripe error that escapes
    an endpoint becomes its problem here (402, 422, 503 + Retry-After), never a 500."""
    try:
        yield stripe_api.requests_client(request.app.state.stripe)
    except stripe.StripeError as exc:
        raise stripe_api.problem(exc) from exc


Stripe = Annotated[stripe.StripeClient, Depends(stripe_client)]
# Callers of the internal API: other services (bookings), never users.
ServiceCaller = Annotated[Principal, require_role("service")]
