"""A service's one clock: every rule that reads the time of day or the date (quiet hours, due
reminders, expiry) asks it, so tests can move time instead of sleeping.

Real time by default. Outside production a service may start it at a given instant (e.g.
`NOTIFICATIONS_FAKE_NOW`, `BILLING_FAKE_NOW`), from which it runs on at the real pace; tests
move it with `set` or `advance` (in their own process, or through a development-only endpoint of
the service). Nothing sleeps on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, model_validator

from settle_kit.models import utcnow


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        return utcnow() + self._offset

    def set(self, instant: datetime) -> None:
        """From now on the clock reads `instant`, and runs on from there."""
        self._offset = instant - utcnow()

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class FakeClockSettings(BaseModel):
    """Mixed into a service's Settings: `<PREFIX>FAKE_NOW` starts its clock at that instant, in
    development and tests only (refused when SETTLE_ENV=production)."""

    fake_now: datetime | None = None

    @model_validator(mode="after")
    def _no_fake_clock_in_production(self):
        if self.fake_now is not None and getattr(self, "env", None) == "production":
            prefix = str(self.model_config.get("env_prefix", "")).upper()
            raise ValueError(f"{prefix}FAKE_NOW is refused when SETTLE_ENV=production")
        return self
