"""The booking state machine moves only forward (no I/O)."""

import pytest

from bookings.bookings import states


@pytest.mark.parametrize(
    ("current", "target"),
    [("awaiting_payment", "scheduled"), ("awaiting_payment", "expired"), ("awaiting_payment", "cancelled_by_requester"),
     ("awaiting_payment", "cancelled_by_expert"), ("scheduled", "completed"), ("scheduled", "cancelled_by_requester"),
     ("scheduled", "cancelled_by_expert")],
)
def test_forward_moves_are_allowed(current, target):
    assert states.can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("completed", "cancelled_by_requester"), ("completed", "cancelled_by_expert"), ("completed", "scheduled"),
     ("expired", "scheduled"), ("cancelled_by_requester", "scheduled"), ("cancelled_by_expert", "completed"),
     ("scheduled", "awaiting_payment"), ("scheduled", "expired"), ("awaiting_payment", "completed"), ("expired", "cancelled_by_expert")],
)
def test_backward_or_skipping_moves_change_nothing(current, target):
    assert not states.can_move(current, target)


def test_only_unpaid_and_scheduled_bookings_hold_the_slot():
    assert set(states.HOLDING_SLOT) == {"awaiting_payment", "scheduled"}
    assert all(not states.ALLOWED[s] for s in states.ALL if s not in states.HOLDING_SLOT)


def test_who_cancelled_names_the_status():
    assert states.cancelled_status("expert") == "cancelled_by_expert"
    assert states.cancelled_status("requester") == "cancelled_by_requester"
