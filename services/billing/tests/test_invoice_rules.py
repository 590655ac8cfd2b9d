"""Invoice rules without I/O: what is paid and remains follows from the payments and refunds alone,
deposits round half up, and reminder levels follow the customer's calendar (daylight saving
changes nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from billing.invoices import balance as rules
from billing.invoices.models import Invoice
from billing.invoices.reminders import ReminderScheduler, days_overdue, level_due

STATUSES = st.sampled_from(["requires_payment", "processing", "succeeded", "failed", "canceled", "partially_refunded", "refunded"])


@given(total=st.integers(1, 10**8), payments=st.lists(st.tuples(STATUSES, st.integers(1, 10**8), st.integers(0, 10**8)), max_size=6))
def test_paid_and_remaining_always_add_up_to_the_total(total, payments):
    payments = [(status, amount, min(refunded, amount)) for status, amount, refunded in payments]
    found = rules.balance(total, payments)
    assert found.paid + found.remaining == total
    assert 0 <= found.remaining <= total
    assert found.received == sum(a for s, a, _ in payments if s in rules.RECEIVED)


def test_status_from_what_was_received_and_refunded():
    def status(*payments, cancelled=False):
        return rules.stored_status(rules.balance(10_000, payments), cancelled=cancelled)

    assert status() == "pending"
    assert status(("processing", 10_000, 0)) == "pending"
    assert status(("succeeded", 3_000, 0)) == "partial"
    assert status(("succeeded", 3_000, 0), ("succeeded", 7_000, 0)) == "paid"
    assert status(("succeeded", 10_000, 0), ("refunded", 6_000, 6_000)) == "paid"  # an excess given back
    assert status(("partially_refunded", 10_000, 4_000)) == "partial"
    assert status(("refunded", 10_000, 10_000)) == "refunded"
    assert status(cancelled=True) == "cancelled"
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert rules.status("partial", datetime(2026, 12, 4, tzinfo=UTC), now) == "overdue"
    assert rules.status("paid", datetime(2026, 12, 4, tzinfo=UTC), now) == "paid"


def test_a_deposit_is_rounded_half_up():
    assert rules.deposit(50_000, 30) == 15_000
    assert rules.deposit(10_050, 33) == 3_317  # 3,316.5
    assert rules.deposit(101, 50) == 51  # 50.5
    assert rules.deposit(99, 1) == 1  # 0.99


def invoice(due: date, phone: str = "+14155552671") -> Invoice:
    return Invoice(id="inv_1", customer_phone=phone, due_date=due)


def test_levels_follow_the_customers_calendar_from_the_reminder_hour():
    due = date(2026, 3, 1)
    la = invoice(due)  # America/Los_Angeles
    # 09:59 on the due day in Los Angeles: not yet; 10:00: due.
    assert level_due(la, datetime(2026, 3, 1, 17, 59, tzinfo=UTC), 10) is None
    assert level_due(la, datetime(2026, 3, 1, 18, 0, tzinfo=UTC), 10) == "due"
    assert level_due(la, datetime(2026, 3, 2, 18, 0, tzinfo=UTC), 10) == "overdue"
    assert level_due(la, datetime(2026, 3, 9, 18, 0, tzinfo=UTC), 10) == "past_due"
    # 10:00 in Los Angeles on the 16th is 17:00 UTC: clocks moved forward on March 8.
    assert level_due(la, datetime(2026, 3, 16, 16, 59, tzinfo=UTC), 10) == "past_due"
    assert level_due(la, datetime(2026, 3, 16, 17, 0, tzinfo=UTC), 10) == "final_notice"
    assert days_overdue(la, datetime(2026, 3, 21, 17, 0, tzinfo=UTC), 0) == 20
    assert level_due(invoice(None), datetime(2026, 3, 1, tzinfo=UTC), 10) is None


def test_reminders_wait_for_the_customers_daytime():
    scheduler = ReminderScheduler(None, None, None, interval_s=1, hold_s=0, reminder_hour=10)
    la = invoice(date(2026, 12, 1))
    assert scheduler._next_daytime(la, datetime(2026, 12, 5, 20, 0, tzinfo=UTC)) is None  # 12:00 there
    # 21:30 there: the next morning at 10:00 (18:00 UTC).
    assert scheduler._next_daytime(la, datetime(2026, 12, 6, 5, 30, tzinfo=UTC)) == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    # 07:00 there: the same morning.
    assert scheduler._next_daytime(la, datetime(2026, 12, 6, 15, 0, tzinfo=UTC)) == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
