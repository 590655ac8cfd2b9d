"""HTTP basic auth: any AC account SID with any token; anything else is Twilio's 20003."""

from __future__ import annotations

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from twilio_sim.client import base_url_http_client

ACCOUNT_SID = "AC" + "1" * 32  # the account the fixtures use
PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_missing_credentials_get_twilios_401_body(sim_url):
    response = httpx.get(sim_url + PATH)

    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "auth",
    [("XX" + "1" * 32, "token"), (ACCOUNT_SID, ""), ("AC" + "2" * 32, "token")],
    ids=["not-an-account-sid", "empty-token", "other-account"],
)
def test_bad_credentials_are_rejected(sim_url, auth):
    response = httpx.post(sim_url + PATH, auth=auth, data={"To": "+14155550100", "From": "+15005550006", "Body": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == 20003


def test_any_account_and_token_work_through_the_sdk(sim_url):
    account = "AC" + "f" * 32
    client = Client(account, "whatever", http_client=base_url_http_client(sim_url))
    message = client.messages.create(to="+14155550100", from_="+15005550006", body="x")
    assert message.account_sid == account


def test_sdk_with_a_bad_account_sid_raises_20003(sim_url):
    client = Client("ZZ" + "0" * 32, "token", account_sid=ACCOUNT_SID, http_client=base_url_http_client(sim_url))
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+14155550100", from_="+15005550006", body="x")
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_unknown_paths_answer_like_twilio(sim_url):
    response = httpx.get(sim_url + f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", auth=(ACCOUNT_SID, "x"))
    assert response.status_code == 404
    assert response.json()["code"] == 20404
