"""Messages create / fetch / list through the official SDK and the base-URL adapter."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException


SENDER = "+15005550006"


def test_create_returns_a_twilio_shaped_message(twilio, sim_url, account_sid):
    message = twilio.messages.create(to="+14155550100", from_=SENDER, body="Your code is 1234")

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert message.to == "+14155550100"
    assert message.from_ == SENDER
    assert message.account_sid == account_sid
    assert message.direction == "outbound-api"
    assert message.num_segments == "1"
    assert message.price is None
    assert message.error_code is None and message.error_message is None
    assert message.uri == f"/2010-04-01/Accounts/{account_sid}/Messages/{message.sid}.json"
    assert message.date_created is not None

    raw = httpx.get(f"{sim_url}{message.uri}", auth=(account_sid, "x")).json()
    assert parsedate_to_datetime(raw["date_created"]).utcoffset().total_seconds() == 0
    assert raw["date_created"].endswith("+0000")
    assert raw["date_sent"] is None or raw["date_sent"].endswith("+0000")
    assert raw["api_version"] == "2010-04-01"


def test_fetch_sees_the_message_reach_delivered(twilio, control):
    message = twilio.messages.create(to="+14155550101", from_=SENDER, body="hello")

    control.wait_for_status(message.sid, "delivered")
    fetched = twilio.messages(message.sid).fetch()

    assert fetched.status == "delivered"
    assert fetched.date_sent is not None
    assert control.message(message.sid)["history"] == ["queued", "sending", "sent", "delivered"]


def test_fetch_of_an_unknown_message_is_20404(twilio):
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages("SM" + "0" * 32).fetch()
    assert caught.value.status == 404
    assert caught.value.code == 20404


def test_list_filters_and_pages_like_twilio(twilio, sim_url, account_sid):
    for i in range(5):
        twilio.messages.create(to="+14155550111", from_=SENDER, body=f"to A {i}")
    twilio.messages.create(to="+14155550122", from_=SENDER, body="to B")

    bodies = [m.body for m in twilio.messages.list(to="+14155550111", page_size=2)]
    assert bodies == [f"to A {i}" for i in reversed(range(5))]
    assert [m.body for m in twilio.messages.list(to="+14155550122")] == ["to B"]
    assert len(twilio.messages.list(from_=SENDER)) == 6
    assert twilio.messages.list(from_="+14155559999") == []

    first = httpx.get(
        f"{sim_url}/2010-04-01/Accounts/{account_sid}/Messages.json",
        params={"To": "+14155550111", "PageSize": 2},
        auth=(account_sid, "x"),
    ).json()
    assert set(first) == {
        "end", "first_page_uri", "messages", "next_page_uri", "page", "page_size", "previous_page_uri", "start", "uri"
    }
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert first["previous_page_uri"] is None
    assert "Page=1" in first["next_page_uri"] and "PageToken=PA" in first["next_page_uri"]
    assert "To=%2B14155550111" in first["next_page_uri"]

    second = httpx.get(sim_url + first["next_page_uri"], auth=(account_sid, "x")).json()
    assert [m["body"] for m in second["messages"]] == ["to A 2", "to A 1"]
    assert (second["page"], second["start"]) == (1, 2)
    back = httpx.get(sim_url + second["previous_page_uri"], auth=(account_sid, "x")).json()
    assert [m["body"] for m in back["messages"]] == ["to A 4", "to A 3"]


def test_page_tokens_keep_pages_stable_when_messages_arrive(twilio, sim_url, account_sid):
    for i in range(4):
        twilio.messages.create(to="+14155550133", from_=SENDER, body=f"m{i}")
    first = httpx.get(
        f"{sim_url}/2010-04-01/Accounts/{account_sid}/Messages.json", params={"PageSize": 2}, auth=(account_sid, "x")
    ).json()
    twilio.messages.create(to="+14155550133", from_=SENDER, body="late")

    second = httpx.get(sim_url + first["next_page_uri"], auth=(account_sid, "x")).json()
    assert [m["body"] for m in second["messages"]] == ["m1", "m0"]


def test_messaging_service_send_is_accepted_then_gets_a_sender(twilio, control):
    service = "MG" + "a" * 32
    message = twilio.messages.create(to="+14155550144", messaging_service_sid=service, body="via service")

    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == service
    delivered = control.wait_for_status(message.sid, "delivered")
    assert delivered["from"] == SENDER
    assert delivered["history"] == ["accepted", "queued", "sending", "sent", "delivered"]


def test_segments_are_counted_per_encoding(twilio):
    assert twilio.messages.create(to="+14155550155", from_=SENDER, body="a" * 160).num_segments == "1"
    assert twilio.messages.create(to="+14155550155", from_=SENDER, body="a" * 161).num_segments == "2"
    assert twilio.messages.create(to="+14155550155", from_=SENDER, body="é" * 160).num_segments == "1"
    assert twilio.messages.create(to="+14155550155", from_=SENDER, body="ą" * 71).num_segments == "2"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": SENDER, "body": "x"}, 21604),
        ({"to": "+14155550100", "body": "x"}, 21603),
        ({"to": "+14155550100", "from_": SENDER}, 21602),
        ({"to": "+14155550100", "from_": SENDER, "body": "x" * 1601}, 21617),
        ({"to": "14155550100", "from_": SENDER, "body": "x"}, 21211),
        ({"to": "+14155550100", "messaging_service_sid": "MG123", "body": "x"}, 21701),
        ({"to": "+14155550100", "from_": SENDER, "body": "x", "status_callback": "not a url"}, 21609),
    ],
)
def test_invalid_requests_are_400_with_twilio_codes(twilio, control, kwargs, code):
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(**kwargs)
    assert caught.value.status == 400
    assert caught.value.code == code
    assert control.messages() == []


def test_date_sent_filters(twilio, control):
    from datetime import timedelta

    message = twilio.messages.create(to="+14155550188", from_=SENDER, body="dated")
    control.wait_for_status(message.sid, "delivered")
    today = twilio.messages(message.sid).fetch().date_sent

    assert [m.sid for m in twilio.messages.list(date_sent=today.date())] == [message.sid]
    assert twilio.messages.list(date_sent=(today - timedelta(days=1)).date()) == []
    assert [m.sid for m in twilio.messages.list(date_sent_after=today - timedelta(days=1))] == [message.sid]
    assert [m.sid for m in twilio.messages.list(date_sent=today)] == [message.sid]
    assert twilio.messages.list(date_sent_before=today - timedelta(days=1)) == []
    assert twilio.messages.list(date_sent_after=today + timedelta(days=1)) == []
