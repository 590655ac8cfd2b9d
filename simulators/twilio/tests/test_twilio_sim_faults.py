"""Rate-limit and server-error switches, and the adapter never retrying a send."""

from __future__ import annotations

import httpx
import pytest
import requests
from twilio.rest import Client
from twilio.base.exceptions import TwilioRestException

from twilio_sim.client import SimulatorHttpClient, base_url_http_client, rewrite_url

SENDER = "+15005550006"


def send(twilio, body="x"):
    return twilio.messages.create(to="+14155550100", from_=SENDER, body=body)


def test_rate_limit_switch_answers_429_for_the_next_n_sends(twilio, control, sim_url, account_sid):
    control.rate_limit_next(2)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            send(twilio)
        assert (caught.value.status, caught.value.code) == (429, 20429)
    assert send(twilio).status == "queued"
    assert len(control.messages()) == 1

    control.rate_limit_next(1)
    raw = httpx.post(
        f"{sim_url}/2010-04-01/Accounts/{account_sid}/Messages.json",
        auth=(account_sid, "x"),
        data={"To": "+14155550100", "From": SENDER, "Body": "x"},
    )
    assert raw.status_code == 429
    assert raw.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_switch(twilio, control, status):
    control.fail_next(1, status=status)

    with pytest.raises(TwilioRestException) as caught:
        send(twilio)
    assert caught.value.status == status
    assert control.messages() == []
    assert send(twilio).status == "queued"


def test_lost_answer_creates_the_message_once_and_the_sdk_does_not_resend(twilio, control):
    control.fail_next(1, status=502, after_create=True)

    with pytest.raises(TwilioRestException) as caught:
        send(twilio, body="only once")
    assert caught.value.status == 502
    sent = control.messages()
    assert [m["body"] for m in sent] == ["only once"]
    control.wait_for_status(sent[0]["sid"], "delivered")


def test_adapter_rewrites_only_twilio_hosts():
    base = "http://127.0.0.1:12112"
    assert rewrite_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?Page=1", base) == (
        "http://127.0.0.1:12112/2010-04-01/Accounts/AC1/Messages.json?Page=1"
    )
    assert rewrite_url("https://messaging.twilio.com/v1/Services", base + "/") == "http://127.0.0.1:12112/v1/Services"
    assert rewrite_url("https://example.com/x", base) == "https://example.com/x"


def test_adapter_refuses_retries():
    client = base_url_http_client("http://127.0.0.1:12112")
    assert isinstance(client, SimulatorHttpClient)
    for prefix in ("http://", "https://"):
        assert client.session.get_adapter(prefix + "127.0.0.1").max_retries.total == 0
    with pytest.raises(ValueError):
        SimulatorHttpClient("http://127.0.0.1:12112", max_retries=3)


def test_slow_answer_switch_creates_the_message_before_answering(sim_url, account_sid, control):
    control.slow_answers(1, seconds=3)
    impatient = Client(account_sid, "any-token", http_client=base_url_http_client(sim_url, timeout=0.5))
    with pytest.raises(requests.exceptions.ReadTimeout):  # the SDK gives up before the answer comes
        send(impatient, body="created first")
    assert [m["body"] for m in control.messages()] == ["created first"]
    assert send(impatient, body="then at once").status == "queued"
