"""FastAPI dependencies of billing's endpoints."""

from typing import Annotated

import stripe
from fastapi import Depends, Request


def stripe_client(request: Request) -> stripe.StripeClient:
    return request.app.state.stripe


Stripe = Annotated[stripe.StripeClient, Depends(stripe_client)]
