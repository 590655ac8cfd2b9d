"""The service's one clock: every rule that reads the time (quiet hours, the wait for an
unconfirmed attempt, what the sender finds due, timestamps) asks it.

Real time by default. Outside production `NOTIFICATIONS_FAKE_NOW` (an ISO 8601 instant) starts it
at that instant, from which it runs on at the real pace; tests running the app in their own
process move it with `app.state.clock.set(...)`. Nothing sleeps on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
