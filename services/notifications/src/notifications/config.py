from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from settle_kit.clock import FakeClockSettings
from settle_kit.settings import ServiceSettings

DEFAULT_HELP_TEXT = "Settle: texts about your payments and bookings. Reply STOP to stop them, START to get them again."


class Settings(ServiceSettings, FakeClockSettings):
    """Notifications settings; service-specific variables carry the `NOTIFICATIONS_` prefix.
    `NOTIFICATIONS_FAKE_NOW` (development and tests only) starts the clock at that instant."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    service_name: str = "notifications"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_notifications"

    # Twilio: the simulator (simulators/twilio) by default; real credentials and base for production.
    twilio_account_sid: str = Field("AC00000000000000000000000000000000", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr = Field(SecretStr("settle-twilio-development-token"), validation_alias="TWILIO_AUTH_TOKEN")
    twilio_api_base: str = Field("http://127.0.0.1:12112", validation_alias="TWILIO_API_BASE")
    twilio_from_number: str = Field("+15005550006", validation_alias="TWILIO_FROM_NUMBER")
    # Each call to Twilio gives up after this (then its outcome is unknown: see below).
    twilio_timeout_s: float = Field(10.0, gt=0)

    # The address Twilio reaches us at (the gateway): status callback URLs are built on it and
    # every webhook's signature is checked against it.
    public_url: str = "http://127.0.0.1:8000"
    # A send whose answer was lost (the process died, the call timed out) is not sent again
    # before Twilio has stayed silent about it this long (its callbacks resolve it meanwhile).
    unconfirmed_retry_after_s: float = Field(600.0, ge=0)
    # Sends in flight at once, per process.
    send_concurrency: int = Field(8, ge=1)
    # A text Twilio keeps refusing for a passing reason (429, 5xx) is dead after this many tries.
    send_max_attempts: int = Field(20, ge=1)
    send_poll_interval_s: float = Field(1.0, gt=0)
    # Consecutive failed calls (timeouts, 5xx) that open the circuit, and how long it stays open.
    twilio_breaker_threshold: int = Field(5, ge=1)
    twilio_breaker_reset_s: float = Field(30.0, gt=0)
    help_text: str = DEFAULT_HELP_TEXT

    @property
    def send_lease_s(self) -> float:
        """How long a claimed send is ours: a process that died mid-call gives it back after this."""
        return 2 * self.twilio_timeout_s + 5
