"""Settings shared by every service, read from the environment (pydantic-settings).

Shared variables (`SETTLE_ENV`, `JWT_SECRET`, `AMQP_URL`, …) have no prefix; a service's own
ones carry its prefix (`BILLING_PORT`, `BILLING_DATABASE_URL`), so one environment can hold the
whole platform, as `make run` and docker-compose do.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_JWT_SECRET = "settle-development-secret-change-me-0123456789"
# Production refuses a JWT secret shorter than this (HS256's key should be at least as long as
# its 32-byte hash) or with a word that marks a value as not a real secret.
MIN_JWT_SECRET_BYTES = 32
PLACEHOLDER_WORDS = (
    "change", "placeholder", "example", "secret", "development", "replace", "dummy", "default",
    "password", "sample", "insecure", "todo", "fixme",
)

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    env: Environment = Field("development", validation_alias="SETTLE_ENV")
    jwt_secret: SecretStr = Field(SecretStr(DEV_JWT_SECRET), validation_alias="JWT_SECRET")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    # The most connections a process holds (the pool has no overflow; see db.py): requests, the
    # relay, consumer workers and background loops all draw from it.
    database_pool_size: int = 20

    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", validation_alias="AMQP_URL")
    # Prefix of every exchange and queue name: lets test runs share one broker without meeting.
    bus_namespace: str = Field("settle", validation_alias="BUS_NAMESPACE")
    # One retry queue per delay; after the last one a message is dead-lettered.
    bus_retry_delays_ms: Annotated[list[int], NoDecode] = Field(
        [1000, 5000, 30000], validation_alias="BUS_RETRY_DELAYS_MS"
    )
    bus_prefetch: int = 128
    # Concurrent handler transactions per consumer; each takes batches of up to 50 messages.
    bus_consumer_workers: int = 2
    run_relay: bool = True
    run_consumer: bool = True
    relay_batch_size: int = 200
    relay_poll_interval_s: float = 1.0

    # Retention of bookkeeping rows (settle_kit/retention.py). Idempotency keys (and the answers
    # stored with them) are kept 30 days by default, as Stripe's v2 API keeps them; API.md promises
    # at least 24 hours.
    outbox_retention_h: float = 168
    inbox_retention_h: float = 720
    idempotency_retention_h: float = Field(720, ge=24)
    retention_interval_s: float = 3600

    otel_traces_exporter: Literal["none", "console", "otlp"] = Field(
        "none", validation_alias="OTEL_TRACES_EXPORTER"
    )
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field("json", validation_alias="LOG_FORMAT")

    @field_validator("bus_retry_delays_ms", mode="before")
    @classmethod
    def _split_delays(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> ServiceSettings:
        if self.env == "production":
            secret = self.jwt_secret.get_secret_value()
            if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
                raise ValueError(
                    f"JWT_SECRET is {len(secret.encode())} bytes: SETTLE_ENV=production needs at least "
                    f"{MIN_JWT_SECRET_BYTES} random bytes (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            if found := [word for word in PLACEHOLDER_WORDS if word in secret.lower()]:
                raise ValueError(
                    f"JWT_SECRET looks like a placeholder (contains {found[0]!r}): SETTLE_ENV=production needs a "
                    "real random secret (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @property
    def is_development(self) -> bool:
        return self.env != "production"
