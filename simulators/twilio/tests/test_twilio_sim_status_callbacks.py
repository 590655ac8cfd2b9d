"""Status callbacks: each move is POSTed to StatusCallback, signed so RequestValidator accepts it."""

from __future__ import annotations

import time

import pytest
from twilio.request_validator import RequestValidator

SENDER = "+15005550006"
CALLBACK_FIELDS = {"AccountSid", "ApiVersion", "From", "MessageSid", "MessageStatus", "SmsSid", "SmsStatus", "To"}


def statuses(requests):
    return [r["params"]["MessageStatus"] for r in requests]


def test_every_transition_is_reported_and_signed(twilio, receiver, auth_token, account_sid):
    url = receiver.url("/twilio/status?tenant=42")
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="hi", status_callback=url)

    requests = receiver.wait_for(3)
    assert statuses(requests) == ["sending", "sent", "delivered"]
    validator = RequestValidator(auth_token)
    for request in requests:
        params = request["params"]
        assert set(params) == CALLBACK_FIELDS
        assert params["MessageSid"] == params["SmsSid"] == message.sid
        assert params["SmsStatus"] == params["MessageStatus"]
        assert (params["To"], params["From"], params["AccountSid"]) == ("+14155550100", SENDER, account_sid)
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert validator.validate(url, params, request["headers"]["X-Twilio-Signature"])
        assert not RequestValidator("some-other-token").validate(url, params, request["headers"]["X-Twilio-Signature"])


def test_no_callback_url_means_no_callbacks(twilio, control):
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="hi")
    control.wait_for_status(message.sid, "delivered")
    assert control.webhooks() == []


@pytest.mark.parametrize(
    ("to", "expected", "code"),
    [
        ("+15005550020", ["sending", "sent", "undelivered"], "30003"),
        ("+15005550021", ["sending", "sent", "undelivered"], "30006"),
        ("+15005550022", ["sending", "failed"], "30001"),
        ("+15005550023", ["sending", "failed"], "30008"),
    ],
)
def test_outcome_numbers_end_undelivered_or_failed(twilio, control, receiver, auth_token, to, expected, code):
    url = receiver.url("/status")
    message = twilio.messages.create(to=to, from_=SENDER, body="hi", status_callback=url)

    requests = receiver.wait_for(len(expected))
    assert statuses(requests) == expected
    final = requests[-1]
    assert final["params"]["ErrorCode"] == code
    assert all("ErrorCode" not in r["params"] for r in requests[:-1])
    assert RequestValidator(auth_token).validate(url, final["params"], final["headers"]["X-Twilio-Signature"])

    fetched = twilio.messages(message.sid).fetch()
    assert fetched.status == expected[-1]
    assert fetched.error_code == int(code)
    assert fetched.error_message


def test_a_recipient_without_receipts_stays_sent(twilio, control, receiver):
    message = twilio.messages.create(to="+15005550030", from_=SENDER, body="hi", status_callback=receiver.url("/s"))
    assert statuses(receiver.wait_for(2)) == ["sending", "sent"]
    time.sleep(0.2)
    assert twilio.messages(message.sid).fetch().status == "sent"
    assert len(receiver.requests) == 2


def test_a_test_can_give_any_recipient_an_outcome(twilio, control, receiver):
    control.set_outcome("+14155550177", "undelivered", 30005)
    twilio.messages.create(to="+14155550177", from_=SENDER, body="hi", status_callback=receiver.url("/s"))
    final = receiver.wait_for(3)[-1]["params"]
    assert (final["MessageStatus"], final["ErrorCode"]) == ("undelivered", "30005")


def test_duplicate_switch_sends_each_callback_twice(twilio, control, receiver, auth_token):
    control.settings(duplicate_callbacks=True)
    url = receiver.url("/status")
    twilio.messages.create(to="+14155550100", from_=SENDER, body="hi", status_callback=url)

    requests = receiver.wait_for(6)
    assert statuses(requests) == ["sending", "sending", "sent", "sent", "delivered", "delivered"]
    validator = RequestValidator(auth_token)
    assert all(validator.validate(url, r["params"], r["headers"]["X-Twilio-Signature"]) for r in requests)


def test_reorder_switch_delivers_callbacks_newest_first(twilio, control, receiver):
    control.settings(reorder_callbacks=True)
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="hi", status_callback=receiver.url("/s"))

    assert statuses(receiver.wait_for(3)) == ["delivered", "sent", "sending"]
    # The resource itself only ever moved forward.
    assert control.message(message.sid)["history"] == ["queued", "sending", "sent", "delivered"]


def test_manual_mode_moves_only_when_told_and_only_forward(twilio, control, receiver, auth_token):
    control.settings(auto_advance=False)
    url = receiver.url("/s")
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="hi", status_callback=url)
    time.sleep(0.1)
    assert control.message(message.sid)["status"] == "queued"
    assert receiver.requests == []

    control.set_status(message.sid, "sent")
    control.set_status(message.sid, "undelivered", 30003)
    requests = receiver.wait_for(2)
    assert statuses(requests) == ["sent", "undelivered"]
    assert requests[1]["params"]["ErrorCode"] == "30003"
    assert RequestValidator(auth_token).validate(url, requests[1]["params"], requests[1]["headers"]["X-Twilio-Signature"])

    with pytest.raises(Exception) as caught:
        control.set_status(message.sid, "delivered")
    assert caught.value.response.status_code == 409


def test_webhook_log_records_what_was_sent(twilio, control, receiver):
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="hi", status_callback=receiver.url("/s"))
    receiver.wait_for(3)
    deadline = time.monotonic() + 5
    # The log entry is written before the POST; its response lands a moment after the receiver saw it.
    log = control.webhooks(MessageSid=message.sid)
    while any(w["response_status"] is None for w in log):
        assert time.monotonic() < deadline
        time.sleep(0.02)
        log = control.webhooks(MessageSid=message.sid)
    assert [w["params"]["MessageStatus"] for w in log] == ["sending", "sent", "delivered"]
    assert all(w["response_status"] == 200 and w["kind"] == "status_callback" for w in log)


def test_an_unreachable_callback_does_not_stop_the_message(twilio, control):
    message = twilio.messages.create(
        to="+14155550100", from_=SENDER, body="hi", status_callback="http://127.0.0.1:9/unreachable"
    )
    control.wait_for_status(message.sid, "delivered")
    deadline = time.monotonic() + 5
    # The status moves before its callback is attempted, so the last attempt may still be in flight.
    while True:
        log = control.webhooks(MessageSid=message.sid)
        if len(log) == 3 and all(w["error"] for w in log):
            break
        assert time.monotonic() < deadline, log
        time.sleep(0.02)
    assert all(w["response_status"] is None for w in log)
