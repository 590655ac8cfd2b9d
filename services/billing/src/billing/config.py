from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from settle_kit.clock import FakeClockSettings
from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings, FakeClockSettings):
    """Billing settings; service-specific variables carry the `BILLING_` prefix. `BILLING_FAKE_NOW`
    (development and tests only) starts billing's clock at that instant."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    service_name: str = "billing"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_billing"

    # Stripe: the simulator (simulators/stripe) by default; real keys and base for production.
    stripe_api_key: SecretStr = Field(SecretStr("sk_test_settle_simulator"), validation_alias="STRIPE_API_KEY")
    stripe_api_base: str = Field("http://127.0.0.1:12111", validation_alias="STRIPE_API_BASE")
    stripe_webhook_secret: SecretStr = Field(SecretStr("whsec_settle_development"), validation_alias="STRIPE_WEBHOOK_SECRET")
    # Each attempt of a Stripe call gives up after this; a call makes 1 + stripe_max_retries
    # attempts where repeating is harmless. Keep (2 x timeout + 0.5 s) under the gateway's
    # upstream timeout (10 s), so a request gets billing's 503 rather than the gateway's 504.
    stripe_timeout_s: float = Field(4.0, gt=0)
    stripe_max_retries: int = Field(1, ge=0, le=5)
    # Circuit breaker: this many failed calls in a row (timeouts, unreachable, 5xx, 429) and every
    # call fails at once (503 + Retry-After) for stripe_breaker_reset_s; then calls are let through.
    stripe_breaker_threshold: int = Field(5, ge=1)
    stripe_breaker_reset_s: float = Field(30.0, gt=0)
    # Bulkhead: Stripe calls in flight from request handlers at once; the next one is a 503.
    stripe_max_concurrent_requests: int = Field(16, ge=1)

    # Messaging's internal API, asked who belongs to a conversation or project when billing's
    # copy of the membership (kept from messaging's events) has not caught up yet.
    messaging_url: str = "http://127.0.0.1:8003"
    messaging_timeout_s: float = Field(2.0, gt=0)

    # Payments still open after this are re-read from Stripe (a webhook may have been lost).
    reconcile_after_s: float = 600
    reconcile_interval_s: float = 60
    # Stored Stripe events processed at once (each waits on a Stripe round trip).
    stripe_event_concurrency: int = 8
    # Background work (settle_kit.work_queue) tried this often, with back-off up to 10 minutes
    # (about 3 hours for events, a day for tasks), then `dead` until an operator retries it.
    stripe_event_max_attempts: int = Field(25, ge=1)
    stripe_task_max_attempts: int = Field(150, ge=1)
    # Deferred Stripe work (refunds and cancellations asked for by bookings, transfer reversals):
    # how often the queue is polled when nothing woke it.
    stripe_tasks_interval_s: float = 1.0
    # Connect onboarding: where Stripe sends the expert back after (or to retry) onboarding;
    # pages of the frontend.
    connect_return_url: str = "http://127.0.0.1:8000/payouts/onboarding/return"
    connect_refresh_url: str = "http://127.0.0.1:8000/payouts/onboarding/refresh"

    # Invoices: where customers open payment links (`<public_url>/pay/{code}`, the gateway).
    public_url: str = "http://127.0.0.1:8000"
    # Reminders: how often the scheduler looks for due levels; how long a decided reminder waits
    # before it goes (a payment being made meanwhile withdraws it); the hour of the customer's day
    # from which a level is due (inside notifications' quiet-hour rules: 08:00-21:00).
    reminder_interval_s: float = Field(30.0, gt=0)
    reminder_hold_s: float = Field(300.0, ge=0)
    reminder_hour: int = Field(10, ge=8, le=20)
