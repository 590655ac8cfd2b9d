"""Inbound SMS: the helper POSTs Twilio's signed incoming-message webhook; STOP opts the sender out."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

PHONE = "+14155550166"
OUR_NUMBER = "+15005550006"


def test_stop_webhook_is_signed_and_blocks_later_sends_until_start(twilio, control, receiver, auth_token, account_sid):
    url = receiver.url("/twilio/inbound")
    control.settings(inbound_url=url)

    result = control.inbound(PHONE, OUR_NUMBER, "Stop ")

    request = receiver.wait_for(1)[0]
    params = request["params"]
    assert request["path"] == "/twilio/inbound"
    assert params["From"] == PHONE and params["To"] == OUR_NUMBER and params["Body"] == "Stop "
    assert params["AccountSid"] == account_sid
    assert params["MessageSid"] == params["SmsMessageSid"] == params["SmsSid"] == result["message"]["sid"]
    assert params["MessageSid"].startswith("SM")
    assert (params["NumMedia"], params["NumSegments"], params["SmsStatus"]) == ("0", "1", "received")
    assert params["OptOutType"] == "STOP"
    assert RequestValidator(auth_token).validate(url, params, request["headers"]["X-Twilio-Signature"])
    assert result["webhook"]["response_status"] == 200
    assert control.opted_out() == [PHONE]

    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=PHONE, from_=OUR_NUMBER, body="still there?")
    assert caught.value.code == 21610

    control.inbound(PHONE, OUR_NUMBER, "START")
    assert receiver.wait_for(2)[1]["params"]["OptOutType"] == "START"
    assert control.opted_out() == []
    assert twilio.messages.create(to=PHONE, from_=OUR_NUMBER, body="welcome back").status == "queued"


def test_an_ordinary_reply_has_no_opt_out_type_and_is_listed(twilio, control, receiver):
    control.inbound(PHONE, OUR_NUMBER, "see you at 5", Url=receiver.url("/in"))

    params = receiver.wait_for(1)[0]["params"]
    assert "OptOutType" not in params
    inbound = control.messages(Direction="inbound")
    assert [(m["from"], m["to"], m["body"], m["status"]) for m in inbound] == [
        (PHONE, OUR_NUMBER, "see you at 5", "received")
    ]
    assert [m.direction for m in twilio.messages.list(from_=PHONE)] == ["inbound"]


def test_inbound_without_a_url_is_refused(control):
    with pytest.raises(Exception) as caught:
        control.inbound(PHONE, OUR_NUMBER, "STOP")
    assert caught.value.response.status_code == 409
    assert control.opted_out() == []
