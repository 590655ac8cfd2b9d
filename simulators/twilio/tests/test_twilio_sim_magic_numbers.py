"""Twilio's magic test numbers raise TwilioRestException with the documented codes."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

VALID_FROM = "+15005550006"


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21211),  # invalid number
        ("+15005550002", 21612), # cannot route
        ("+15005550003", 21408),  # no international permissions
        ("+15005550004", 21610),  # blacklisted: the recipient opted out
        ("+15005550009", 21614),  # not SMS-capable
    ],
)
def test_magic_recipients(twilio, control, to, code):
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=to, from_=VALID_FROM, body="x")
    assert caught.value.status == 400
    assert caught.value.code == code
    assert caught.value.msg
    assert control.messages() == []


@pytest.mark.parametrize(
    ("sender", "code"),
    [("+15005550001", 21212), ("+15005550007", 21606), ("+15005550008", 21611), ("not-a-number", 21212)],
)
def test_magic_senders(twilio, sender, code):
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to="+14155550100", from_=sender, body="x")
    assert caught.value.code == code


@pytest.mark.parametrize("to", ["+14155550100", "+447700900123", "+4915112345678"])
def test_any_other_e164_recipient_is_accepted(twilio, to):
    assert twilio.messages.create(to=to, from_=VALID_FROM, body="x").status == "queued"


def test_any_well_formed_sender_is_accepted(twilio):
    assert twilio.messages.create(to="+14155550100", from_="+14155550999", body="x").from_ == "+14155550999"
