"""Receipt texts and their dedupe keys (no I/O)."""

import pytest

from messaging.messages import receipts


@pytest.mark.parametrize(
    ("amount", "currency", "title", "text"),
    [
        (3000, "usd", "Logo design", "✅ Payment of $30.00 for Logo design succeeded."),
        (3000, "jpy", "Translation", "✅ Payment of ¥3,000 for Translation succeeded."),
        (1250, "eur", "Website", "✅ Payment of €12.50 for Website succeeded."),
        (1250, "chf", "Website", "✅ Payment of 12.50 CHF for Website succeeded."),
        (3000, "usd", None, "✅ Payment of $30.00 for this conversation succeeded."),
    ],
)
def test_success_texts(amount, currency, title, text):
    assert receipts.succeeded_text(amount, currency, title) == text


def test_failure_text():
    assert receipts.failed_text(3000, "usd", "Logo design") == "❌ Payment of $30.00 for Logo design failed."
    assert receipts.failed_text(500, "krw", None) == "❌ Payment of ₩500 for this conversation failed."


@pytest.mark.parametrize(
    ("refund", "refunded_total", "text"),
    [
        (1000, 1000, "↩️ $10.00 of the payment of $30.00 for Website was refunded."),
        (1000, 2000, "↩️ $10.00 of the payment of $30.00 for Website was refunded."),
        (3000, 3000, "↩️ The payment of $30.00 for Website was fully refunded."),
        (2000, 3000, "↩️ $20.00 of the payment of $30.00 for Website was refunded; it is now fully refunded."),
    ],
)
def test_refund_texts(refund, refunded_total, text):
    assert receipts.refunded_text(3000, "usd", refund, refunded_total, "Website") == text


def test_a_full_refund_without_a_project():
    assert receipts.refunded_text(3000, "jpy", 3000, 3000, None) == "↩️ The payment of ¥3,000 for this conversation was fully refunded."


def test_each_outcome_has_its_own_key_and_each_refund_too():
    keys = {
        receipts.succeeded_key("pay_1"), receipts.failed_key("pay_1"),
        receipts.refund_key("pay_1", "re_1"), receipts.refund_key("pay_1", "re_2"), receipts.succeeded_key("pay_2"),
    }
    assert len(keys) == 5
    assert receipts.succeeded_key("pay_1") == "payment:pay_1:succeeded"
    assert receipts.refund_key("pay_1", "re_1") == "payment:pay_1:refund:re_1"
