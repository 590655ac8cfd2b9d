"""Quiet hours on the service's clock, and bookings' texts."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from settle_contracts.bookings import BookingCancelled, BookingScheduled
from settle_contracts.notifications import SmsRequested, sms_id

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
ALICE = "+14155552671"  # a Los Angeles number


def ask(service, kind: str, body: str) -> str:
    envelope = service.publish(SmsRequested(to_phone=ALICE, body=body, kind=kind, requested_by="issuer"))
    return SmsRequested.sms_id(envelope.id)


def test_a_reminder_at_23_00_recipient_time_waits_until_08_00_and_a_confirmation_does_not(service):
    service.set_clock(datetime(2026, 12, 3, 23, 0, tzinfo=LOS_ANGELES))
    reminder = ask(service, "reminder", "Reminder: your balance of $30.00 is due.")
    confirmation = ask(service, "confirmation", "Payment of $30.00 received!")

    service.wait_text("issuer", confirmation, "delivered")
    held = service.wait_text("issuer", reminder, "deferred")
    assert datetime.fromisoformat(held["deferred_until"]) == datetime(2026, 12, 4, 8, 0, tzinfo=LOS_ANGELES)
    assert [m["body"] for m in service.twilio.messages(To=ALICE)] == ["Payment of $30.00 received!"]

    service.set_clock(datetime(2026, 12, 4, 7, 59, tzinfo=LOS_ANGELES))
    assert service.text("issuer", reminder)["status"] == "deferred"
    service.set_clock(datetime(2026, 12, 4, 8, 0, 1, tzinfo=LOS_ANGELES))
    sent = service.wait_text("issuer", reminder, "delivered")
    assert datetime.fromisoformat(sent["sent_at"]) >= datetime(2026, 12, 4, 8, 0, tzinfo=LOS_ANGELES)
    assert len(service.twilio.messages(To=ALICE)) == 2


def test_a_reminder_in_the_day_goes_at_once(service):
    service.set_clock(datetime(2026, 12, 3, 14, 0, tzinfo=LOS_ANGELES))
    reminder = ask(service, "reminder", "Reminder: your balance of $30.00 is due.")
    assert service.wait_text("issuer", reminder, "delivered")["deferred_until"] is None


def _booking(**changes) -> dict:
    start = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
    return {
        "booking_id": "bkg_1", "expert_id": "expert", "requester_id": "req", "start_time": start,
        "end_time": start + timedelta(minutes=60), "duration_minutes": 60, "status": "scheduled", "currency": "usd",
        "price": 3000, "platform_fee": 300, "expert_payout": 2700, "payment_id": "pay_1", **changes,
    }


def test_a_scheduled_booking_texts_the_requester_and_the_expert_who_registered_a_phone(service):
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": ALICE}, headers=service.headers("req"))
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": "+447911123456"}, headers=service.headers("expert"))
    envelope = service.publish(BookingScheduled(**_booking()), times=2, producer="bookings")

    mine = service.wait_text("req", sms_id(str(envelope.id), "booking_scheduled", "req"), "delivered")
    assert mine["body"] == "Settle: your booking on Thu 10 Dec 2026 at 09:00 PST (60 min) is confirmed. Price: $30.00."
    assert (mine["reference_type"], mine["reference_id"], mine["kind"]) == ("booking", "bkg_1", "confirmation")
    theirs = service.wait_text("expert", sms_id(str(envelope.id), "booking_scheduled", "expert"), "delivered")
    assert theirs["body"] == "Settle: new booking on Thu 10 Dec 2026 at 17:00 GMT (60 min, $27.00)."
    assert len(service.twilio.messages(To=ALICE)) == 1 and len(service.twilio.messages(To="+447911123456")) == 1


def test_a_cancelled_booking_tells_the_refund_and_nobody_without_a_phone_is_texted(service):
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": ALICE}, headers=service.headers("req"))
    envelope = service.publish(BookingCancelled(**_booking(status="cancelled"), cancelled_by="expert", refund_amount=3000), producer="bookings")
    text = service.wait_text("req", sms_id(str(envelope.id), "booking_cancelled", "req"), "delivered")
    assert text["body"] == "Settle: the booking on Thu 10 Dec 2026 at 09:00 PST was cancelled by the expert. Refund: $30.00."
    assert text["kind"] == "notice"
    assert service.texts("expert") == []
