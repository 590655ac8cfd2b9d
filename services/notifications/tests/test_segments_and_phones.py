"""Segment counting and phone rules (no I/O)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from notifications.phones import NotTextable, textable_e164, time_zone
from notifications.quiet_hours import next_allowed
from notifications.segments import count_segments


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
        ("€" * 80, 1), ("€" * 81, 2),  # extension characters take two septets
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the escape pair is never split: 152 | 153 | 1
        ("é" * 160, 1),  # é is in GSM-7
        ("✅" * 70, 1), ("✅" * 71, 2), ("✅" * 134, 2), ("✅" * 135, 3),  # UCS-2
        ("😀" * 35, 1), ("😀" * 36, 2),  # a surrogate pair counts two units
    ],
)
def test_segments(body, segments):
    assert count_segments(body) == segments


def test_test_numbers_only_outside_production():
    assert textable_e164("+15005550006", allow_test_numbers=True) == "+15005550006"
    with pytest.raises(NotTextable):
        textable_e164("+15005550006", allow_test_numbers=False)


def test_time_zone_is_the_numbers_first():
    assert time_zone("+14155552671") == ZoneInfo("America/Los_Angeles")
    assert time_zone("+33612345678") == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 7, 1, 7, 59), (2026, 7, 1, 8, 0)),
        ((2026, 7, 1, 8, 0), None),
        ((2026, 7, 1, 20, 59), None),
        ((2026, 7, 1, 21, 0), (2026, 7, 2, 8, 0)),
        ((2026, 7, 1, 23, 0), (2026, 7, 2, 8, 0)),
    ],
)
def test_quiet_hours_in_paris(local, expected):
    paris = ZoneInfo("Europe/Paris")
    now = datetime(*local, tzinfo=paris).astimezone(UTC)
    got = next_allowed(now, "+33612345678", "reminder")
    assert got == (datetime(*expected, tzinfo=paris) if expected else None)
    assert next_allowed(now, "+33612345678", "confirmation") is None
