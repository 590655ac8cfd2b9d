"""Prices, the platform's fee and cancellation refunds, in integer minor units (no I/O)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settle_kit.money import MAX_AMOUNT

from bookings import pricing
from bookings.pricing import Split


def test_a_dollar_a_minute_for_thirty_minutes():
    assert pricing.split(100, 30, 1000) == Split(price=3000, platform_fee=300, expert_payout=2700)


@pytest.mark.parametrize(
    ("rate", "minutes", "bps", "split"),
    [
        (1, 15, 1000, Split(15, 2, 13)),  # 1.5 cents of fee: half rounds up
        (1, 25, 1000, Split(25, 3, 22)),  # 2.5 -> 3
        (1, 35, 1000, Split(35, 4, 31)),  # 3.5 -> 4
        (3, 15, 1000, Split(45, 5, 40)),  # 4.5 -> 5
        (7, 20, 1000, Split(140, 14, 126)),  # exact
        (33, 15, 1000, Split(495, 50, 445)),  # 49.5 -> 50
        (333, 15, 1250, Split(4995, 624, 4371)),  # 624.375 -> 624 (below half: down)
        (333, 15, 1234, Split(4995, 616, 4379)),  # 616.383 -> 616
        (99, 45, 1500, Split(4455, 668, 3787)),  # 668.25 -> 668
        (99, 50, 1500, Split(4950, 743, 4207)),  # 742.5 -> 743
    ],
)
def test_the_fee_is_rounded_half_up_to_the_minor_unit(rate, minutes, bps, split):
    assert pricing.split(rate, minutes, bps) == split


def test_zero_decimal_currencies_round_to_whole_units():
    # ¥1,000 a minute for 15 minutes: ¥15,000, fee ¥1,500, payout ¥13,500.
    assert pricing.split(1000, 15, 1000) == Split(15000, 1500, 13500)
    # ¥3 a minute for 15 minutes: ¥45, the fee of ¥4.5 rounds up to ¥5 (no fractions of a yen).
    assert pricing.split(3, 15, 1000) == Split(45, 5, 40)


def test_free_sessions_and_the_fee_extremes():
    assert pricing.split(0, 60, 1000) == Split(0, 0, 0)
    assert pricing.split(100, 30, 0) == Split(3000, 0, 3000)
    assert pricing.split(100, 30, 10_000) == Split(3000, 3000, 0)


@pytest.mark.parametrize(("rate", "minutes", "bps"), [(-1, 30, 1000), (100, 0, 1000), (100, 30, -1), (100, 30, 10_001)])
def test_nonsense_is_refused(rate, minutes, bps):
    with pytest.raises(ValueError):
        pricing.split(rate, minutes, bps)


def test_one_payment_carries_at_most_the_api_maximum():
    assert pricing.payable(MAX_AMOUNT)
    assert not pricing.payable(MAX_AMOUNT + 1)


@given(
    rate=st.integers(min_value=0, max_value=MAX_AMOUNT),
    minutes=st.integers(min_value=3, max_value=48).map(lambda steps: steps * 5),
    bps=st.integers(min_value=0, max_value=10_000),
)
def test_fee_plus_payout_is_always_the_price(rate, minutes, bps):
    split = pricing.split(rate, minutes, bps)
    assert split.price == rate * minutes
    assert split.platform_fee + split.expert_payout == split.price
    assert 0 <= split.platform_fee <= split.price
    # Never more than half a minor unit away from the exact fee.
    assert abs(2 * (split.platform_fee * 10_000 - split.price * bps)) <= 10_000


START = datetime(2030, 1, 1, 12, tzinfo=UTC)


def refund(by="requester", hours_before=48.0, policy="full"):
    return pricing.refund_on_cancel(
        3000, cancelled_by=by, start_time=START, now=START - timedelta(hours=hours_before), policy=policy,
        notice=timedelta(hours=24), late_refund_bps=5000,
    )


def test_refunds_are_full_by_default_and_always_when_the_expert_cancels():
    assert refund() == 3000
    assert refund(hours_before=1) == 3000
    assert refund(by="expert", hours_before=1, policy="notice") == 3000


def test_the_notice_policy_keeps_part_of_late_cancellations():
    assert refund(hours_before=24, policy="notice") == 3000
    assert refund(hours_before=23.9, policy="notice") == 1500
    assert refund(hours_before=-1, policy="notice") == 1500  # after the start
