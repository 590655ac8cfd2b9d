from datetime import timedelta
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Bookings settings; service-specific variables carry the `BOOKINGS_` prefix."""

    model_config = SettingsConfigDict(env_prefix="BOOKINGS_", extra="ignore", populate_by_name=True)

    service_name: str = "bookings"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_bookings"

    # Billing's internal API (payments, payout accounts, transfers for bookings). A request waits
    # on it: keep the timeout under the gateway's upstream timeout (10 s), so the caller gets our
    # 503 with Retry-After rather than the gateway's 504.
    billing_url: str = "http://127.0.0.1:8001"
    billing_timeout_s: float = Field(5.0, gt=0)
    billing_connect_timeout_s: float = Field(1.0, gt=0)
    # Attempts per call, when the connection failed or billing failed without a Retry-After; safe
    # to repeat because every call carries an idempotency key.
    billing_attempts: int = Field(3, ge=1, le=10)

    @property
    def payout_claim(self) -> timedelta:
        """How long a payout run holds a booking it is paying: outlasts billing's call (every
        attempt and its back-off), so a run that died gives the booking back after it."""
        return timedelta(seconds=2 * self.billing_attempts * (self.billing_timeout_s + 2) + 5)

    # The platform's share of every price, in basis points (1000 = 10 %).
    platform_fee_bps: int = Field(1000, ge=0, le=10_000)
    # How far ahead a booking must start (0: any time in the future).
    min_lead_time_s: float = Field(0, ge=0)
    # An unpaid booking holds its slot this long, then expires.
    payment_hold_s: float = Field(900, gt=0)
    # A scheduled booking completes by itself this long after its end.
    completion_grace_s: float = Field(3600, ge=0)
    # How often the sweepers look for bookings to expire and to complete.
    expire_interval_s: float = Field(5, gt=0)
    complete_interval_s: float = Field(30, gt=0)

    # What a requester gets back on cancelling a paid booking (an expert's cancellation always
    # refunds in full): `full`, or `notice`: in full with at least `refund_notice_h` hours'
    # notice, else `late_refund_bps` of the price.
    refund_policy: Literal["full", "notice"] = "full"
    refund_notice_h: float = Field(24, ge=0)
    late_refund_bps: int = Field(5000, ge=0, le=10_000)
