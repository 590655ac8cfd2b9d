"""The payment state machine moves only forward (no I/O)."""

import pytest

from billing.payments import states


@pytest.mark.parametrize(
    ("current", "target"),
    [("requires_payment", "processing"), ("requires_payment", "succeeded"), ("processing", "succeeded"), ("processing", "failed"),
     ("failed", "succeeded"), ("succeeded", "partially_refunded"), ("partially_refunded", "refunded"), ("succeeded", "refunded"),
     ("requires_payment", "canceled")],
)
def test_forward_moves_are_allowed(current, target):
    assert states.can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("succeeded", "processing"), ("succeeded", "failed"), ("succeeded", "requires_payment"), ("refunded", "partially_refunded"),
     ("refunded", "succeeded"), ("canceled", "succeeded"), ("processing", "requires_payment"), ("partially_refunded", "succeeded")],
)
def test_late_or_backward_moves_change_nothing(current, target):
    assert not states.can_move(current, target)


def test_intent_statuses_map_to_payment_states():
    assert states.from_intent_status("succeeded", has_error=False) == "succeeded"
    assert states.from_intent_status("processing", has_error=False) == "processing"
    assert states.from_intent_status("canceled", has_error=False) == "canceled"
    assert states.from_intent_status("requires_payment_method", has_error=True) == "failed"
    assert states.from_intent_status("requires_payment_method", has_error=False) is None
    assert states.from_intent_status("requires_action", has_error=False) is None


def test_refunds_end_in_refunded_only_when_everything_is_back():
    assert states.after_refund(3000, 1000) == "partially_refunded"
    assert states.after_refund(3000, 3000) == "refunded"
