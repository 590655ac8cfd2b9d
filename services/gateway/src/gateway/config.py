from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Gateway settings; its own variables carry the `GATEWAY_` prefix."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    port: int = 8000
    billing_url: str = "http://127.0.0.1:8001"
    bookings_url: str = "http://127.0.0.1:8002"
    messaging_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    connect_timeout_s: float = 2.0
    upstream_timeout_s: float = Field(10.0, description="Longest wait for an upstream's answer")
    max_body_bytes: int = 1_048_576
    # An attachment's upload (POST /v1/attachments): a 25 MiB file and its multipart framing.
    max_upload_bytes: int = 25 * 1_048_576 + 65_536
    # The pages Stripe sends an expert to after Connect onboarding (gateway/onboarding.py).
    onboarding_return_text: str = (
        "Thank you: your details went to Stripe. Payouts start once Stripe has verified them; "
        "you can close this page and go back to the app."
    )
    onboarding_refresh_text: str = (
        "This onboarding link has expired or was already used. Go back to the app and open "
        "payout setup again to get a new link."
    )
    readiness_timeout_s: float = Field(1.0, description="Longest wait for one service's /readyz in the gateway's")
    # `limits` notation; several limits separated by `;`, all applied (gateway/ratelimit.py).
    rate_limit: str = Field("200/second;1000/10 seconds", description="Per caller (token subject)")
    rate_limit_by_address: str = Field("200/second;1000/10 seconds", description="Per client address, where there is no token")
    rate_limit_storage_uri: str | None = Field(None, description="A shared store (redis://host:6379); memory when unset")

    def upstreams(self) -> dict[str, str]:
        return {
            "billing": self.billing_url,
            "bookings": self.bookings_url,
            "messaging": self.messaging_url,
            "notifications": self.notifications_url,
        }
