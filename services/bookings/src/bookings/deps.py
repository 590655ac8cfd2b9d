"""FastAPI dependencies of bookings' endpoints."""

from typing import Annotated

from fastapi import Depends, Request

from bookings.billing_client import BillingClient
from bookings.config import Settings


async def billing_client(request: Request) -> BillingClient:
    return request.app.state.billing


async def settings(request: Request) -> Settings:
    return request.app.state.settings


Billing = Annotated[BillingClient, Depends(billing_client)]
BookingSettings = Annotated[Settings, Depends(settings)]
