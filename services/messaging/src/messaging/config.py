from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Messaging settings; service-specific variables carry the `MESSAGING_` prefix."""

    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore", populate_by_name=True)

    service_name: str = "messaging"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_messaging"
