from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Bookings settings; service-specific variables carry the `BOOKINGS_` prefix."""

    model_config = SettingsConfigDict(env_prefix="BOOKINGS_", extra="ignore", populate_by_name=True)

    service_name: str = "bookings"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_bookings"
