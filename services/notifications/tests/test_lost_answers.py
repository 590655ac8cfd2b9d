"""A send whose answer is lost (Twilio took it, we never heard back) is resolved, not resent."""

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
    service.wait_text("issuer", sms_id, "sending")
    [message] = service.twilio.messages(To=ALICE)

    service.twilio.set_status(message["sid"], "sent")
    service.wait_text("issuer", sms_id, "sent")
    service.twilio.set_status(message["sid"], "delivered")
    service.wait_text("issuer", sms_id, "delivered")
    assert len(service.twilio.messages(To=ALICE)) == 1
