from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Billing settings; service-specific variables carry the `BILLING_` prefix."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    service_name: str = "billing"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_billing"
