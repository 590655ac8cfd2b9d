"""FastAPI dependencies of billing's endpoints."""

from typing import Annotated

import stripe
from fastapi import Depends, Request

from settle_kit.auth import Principal, require_role


async def stripe_client(request: Request) -> stripe.StripeClient:
    return request.app.state.stripe


Stripe = Annotated[stripe.StripeClient, Depends(stripe_client)]
# Callers of the internal API: other services (bookings), never users.
ServiceCaller = Annotated[Principal, require_role("service")]
