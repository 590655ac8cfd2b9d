"""Quiet hours: reminders reach people between 08:00 and 21:00 in their own time zone (from
their number). Confirmations and notices are not held back."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifications.phones import time_zone

DAY_STARTS, DAY_ENDS = time(8, 0), time(21, 0)
HELD_KINDS = frozenset({"reminder"})


def next_allowed(now: datetime, e164: str, kind: str) -> datetime | None:
    """None when a text of `kind` may go now; else the instant it may (the next 08:00 there)."""
    if kind not in HELD_KINDS:
        return None
    return _next_daytime(now, time_zone(e164))


def _next_daytime(now: datetime, zone: ZoneInfo) -> datetime | None:
    local = now.astimezone(zone)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return None
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    # zoneinfo resolves 08:00 on a day clocks change (never in a gap: changes happen at night).
    return datetime.combine(day, DAY_STARTS, tzinfo=zone).astimezone(now.tzinfo)
