"""What a payee is owed after refunds, and what a refund reverses of a transfer (no I/O)."""

from hypothesis import given
from hypothesis import strategies as st

from billing.connect.transfers import owed, reversal_due


def test_a_full_refund_takes_everything_back_and_none_takes_nothing():
    assert owed(2700, 0, 3000) == 2700
    assert owed(2700, 3000, 3000) == 0
    assert reversal_due(2700, 0, owed(2700, 3000, 3000)) == 2700


def test_a_partial_refund_takes_back_the_payees_share_of_it():
    # $10 of a $30 payment back: 90 % of it ($9) comes out of the expert's $27.
    assert owed(2700, 1000, 3000) == 1800
    assert reversal_due(2700, 0, 1800) == 900
    # Then the rest: everything left goes back, whatever was rounded before.
    assert reversal_due(2700, 900, owed(2700, 3000, 3000)) == 1800


def test_nothing_is_reversed_twice():
    assert reversal_due(2700, 900, owed(2700, 1000, 3000)) == 0


@given(
    data=st.data(),
    price=st.integers(min_value=50, max_value=99_999_999),
)
def test_any_refunds_before_or_after_the_transfer_end_at_the_payees_share_of_what_is_left(data, price):
    gross = data.draw(st.integers(min_value=0, max_value=price), label="gross")
    refunds = data.draw(st.lists(st.integers(min_value=1, max_value=price), max_size=6), label="refunds")
    transfer_after = data.draw(st.integers(min_value=0, max_value=len(refunds)), label="transfer_after")
    refunded, sent, reversed_ = 0, None, 0
    for i, refund in enumerate([*refunds, None]):
        if i == transfer_after:
            sent = owed(gross, refunded, price)
        if refund is None:
            break
        refunded = min(price, refunded + refund)
        if sent is not None:
            reversed_ += reversal_due(sent, reversed_, owed(gross, refunded, price))
    assert sent is not None
    assert 0 <= reversed_ <= sent <= gross
    assert sent - reversed_ == owed(gross, refunded, price)
    if refunded == price:
        assert sent == reversed_
