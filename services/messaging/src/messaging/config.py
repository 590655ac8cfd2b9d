from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from settle_kit.settings import ServiceSettings

DEV_DOWNLOAD_SECRET = "settle-development-download-links-change-me"


class Settings(ServiceSettings):
    """Messaging settings; service-specific variables carry the `MESSAGING_` prefix."""

    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore", populate_by_name=True)

    service_name: str = "messaging"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/settle_messaging"

    # Where attachments are kept: a local directory, unless an S3 bucket is named (any
    # S3-compatible API: `s3_endpoint_url`). Credentials: these two, else boto3's own chain
    # (AWS_* variables, an instance or pod role).
    attachments_dir: str = "var/attachments"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    max_attachment_bytes: int = Field(25 * 1024 * 1024, gt=0)
    # Download links: signed with this key, valid this long (at most 5 minutes), on this base
    # address (the gateway, which forwards `/files/` to messaging without a token).
    download_secret: SecretStr = SecretStr(DEV_DOWNLOAD_SECRET)
    download_ttl_s: int = Field(300, gt=0, le=300)
    public_url: str = "http://127.0.0.1:8000"

    # Billing's internal API (checkouts, credit debits, refunds of purchases).
    billing_url: str = "http://127.0.0.1:8001"
    billing_timeout_s: float = Field(5.0, gt=0)
    billing_connect_timeout_s: float = Field(1.0, gt=0)
    billing_attempts: int = Field(3, ge=1, le=10)

    # Server-Sent Events: how often a stream looks for new events, and sends a comment to keep
    # idle connections (and the gateway's read timeout) alive.
    events_poll_s: float = Field(0.2, gt=0)
    events_keepalive_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_download_secret(self) -> "Settings":
        if self.env == "production" and self.download_secret.get_secret_value() == DEV_DOWNLOAD_SECRET:
            raise ValueError("MESSAGING_DOWNLOAD_SECRET must be set in production")
        return self
