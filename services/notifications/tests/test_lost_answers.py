"""A send whose answer is lost (Twilio took it, we never heard back) is resolved, not resent."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from settle_contracts.notifications import SmsRequested

ALICE = "+14155552671"


@pytest.fixture
def service_overrides():
    # Calls give up after 1 s; an unconfirmed attempt is not retried for a minute.
    return {"twilio_timeout_s": 1, "unconfirmed_retry_after_s": 60}


def test_a_timed_out_send_is_resolved_by_twilios_callbacks_and_not_sent_again(service):
    service.twilio.settings(auto_advance=False)
    service.twilio.slow_answers(1, seconds=5)
    envelope = service.publish(SmsRequested(to_phone=ALICE, body="Only once", kind="confirmation", requested_by="issuer"))
    sms_id = SmsRequested.sms_id(envelope.id)
    # The call timed out after Twilio took the message: the SMS waits in `sending`.
    sending = service.wait_text("issuer", sms_id, "sending")
    [message] = service.twilio.messages(To=ALICE)
    # The sender takes it up again after the timeout and decides to wait for Twilio to tell.
    attempt = datetime.fromisoformat(sending["created_at"])
    until(lambda: (item := service.send_item(sms_id))["status"] == "pending" and item["next_attempt_at"] > attempt + timedelta(seconds=50))
    assert service.twilio.messages(To=ALICE) == [message]

    service.twilio.set_status(message["sid"], "sent")
    service.wait_text("issuer", sms_id, "sent")
    service.twilio.set_status(message["sid"], "delivered")
    service.wait_text("issuer", sms_id, "delivered")
    # Past the wait for an unconfirmed attempt: the sender takes the SMS up again and finds it settled.
    service.set_clock(datetime.now(UTC) + timedelta(minutes=2))
    until(lambda: (item := service.send_item(sms_id))["status"] == "done" and item["outcome"] == "settled")
    assert len(service.twilio.messages(To=ALICE)) == 1


def until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the sender never got there"
        time.sleep(0.05)
