"""The one place billing builds its Stripe client (official SDK, async over httpx)."""

import stripe

from billing.config import Settings


def create_stripe_client(settings: Settings) -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base},
        http_client=stripe.HTTPXClient(),
        # Safe to retry: every call that creates something carries an idempotency key.
        max_network_retries=2,
    )
