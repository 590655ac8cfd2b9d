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

    def upstreams(self) -> dict[str, str]:
        return {
            "billing": self.billing_url,
            "bookings": self.bookings_url,
            "messaging": self.messaging_url,
            "notifications": self.notifications_url,
        }
