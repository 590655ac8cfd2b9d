from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Notifications settings; service-specific variables carry the `NOTIFICATIONS_` prefix."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    service_name: str = "notifications"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_notifications"

    # Twilio: the simulator (simulators/twilio) by default; real credentials and base for production.
    twilio_account_sid: str = Field("AC00000000000000000000000000000000", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr = Field(SecretStr("settle-twilio-development-token"), validation_alias="TWILIO_AUTH_TOKEN")
    twilio_api_base: str = Field("http://127.0.0.1:12112", validation_alias="TWILIO_API_BASE")
    twilio_from_number: str = Field("+15005550006", validation_alias="TWILIO_FROM_NUMBER")
