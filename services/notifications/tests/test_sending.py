"""Texts asked for by event, sent through the SDK against the Twilio simulator."""

import time

import pytest

from settle_contracts.notifications import SmsRequested

ALICE = "+14155552671"  # a US mobile-or-fixed number (Los Angeles); the simulator delivers it


def ask(service, to_phone=ALICE, body="Hi! Your balance of $30.00 is ready.", kind="confirmation", times=1, **fields):
    event = SmsRequested(to_phone=to_phone, body=body, kind=kind, requested_by="issuer",
                         reference_type="invoice", reference_id="inv_1", **fields)
    envelope = service.publish(event, times=times)
    return SmsRequested.sms_id(envelope.id)


def test_a_text_is_sent_once_when_its_event_is_delivered_three_times(service):
    sms_id = ask(service, times=3)
    text = service.wait_text("issuer", sms_id, "delivered")
    assert text["to"] == ALICE and text["segments"] == 1 and text["sent_at"] and text["delivered_at"]
    assert text["reference_type"] == "invoice" and text["reference_id"] == "inv_1"
    sent = service.twilio.messages(To=ALICE)
    assert len(sent) == 1
    assert sent[0]["body"] == "Hi! Your balance of $30.00 is ready."
    assert sent[0]["status_callback"].endswith(f"/v1/webhooks/twilio/status?sms_id={sms_id}")
    assert [t["id"] for t in service.texts("issuer")] == [sms_id]
    assert service.texts("someone-else") == []


@pytest.mark.parametrize(("number", "code"), [("+15005550001", "21211"), ("+15005550002", "21612"),
                                              ("+15005550003", "21408"), ("+15005550009", "21614")])
def test_a_refusal_is_final_and_shown(service, number, code):
    sms_id = ask(service, to_phone=number)
    text = service.wait_text("issuer", sms_id, "failed")
    assert text["error_code"] == code
    assert text["sent_at"] is None


def test_an_unsubscribed_number_is_opted_out_and_later_texts_suppressed(service):
    number = "+15005550004"  # Twilio answers 21610
    first = ask(service, to_phone=number)
    assert service.wait_text("issuer", first, "suppressed")["error_code"] == "21610"
    # A user who registers that number sees it opted out.
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": number}, headers=service.headers("carol"))
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("carol")).json()["opted_out"] is True
    second = ask(service, to_phone=number, body="Another one")
    assert service.wait_text("issuer", second, "suppressed")["error_code"] == "opted_out"


def test_rate_limits_are_waited_out(service):
    service.twilio.rate_limit_next(2)
    sms_id = ask(service)
    service.wait_text("issuer", sms_id, "delivered", timeout=30)
    assert len(service.twilio.messages(To=ALICE)) == 1


def test_a_5xx_after_twilio_took_the_message_does_not_send_it_twice(service):
    # Twilio creates the message but answers 500, and (callbacks held) says nothing more: the retry
    # finds the message in Twilio's list instead of sending it again.
    service.twilio.settings(auto_advance=False)
    service.twilio.fail_next(1, after_create=True)
    sms_id = ask(service)
    service.wait_text("issuer", sms_id, "sent", timeout=30)
    [message] = service.twilio.messages(To=ALICE)
    service.twilio.set_status(message["sid"], "delivered")
    service.wait_text("issuer", sms_id, "delivered")
    assert len(service.twilio.messages(To=ALICE)) == 1


def test_undelivered_keeps_the_carriers_error(service):
    sms_id = ask(service, to_phone="+15005550020")
    assert service.wait_text("issuer", sms_id, "undelivered")["error_code"] == "30003"


def test_a_body_over_ten_segments_is_refused(service):
    sms_id = ask(service, body="x" * (153 * 10 + 1))
    text = service.wait_text("issuer", sms_id, "failed")
    assert text["error_code"] == "too_many_segments" and text["segments"] == 11
    ok = ask(service, body="x" * (153 * 10))
    assert service.wait_text("issuer", ok, "delivered")["segments"] == 10
    assert len(service.twilio.messages(To=ALICE)) == 1


def test_a_text_to_a_user_goes_to_their_contact_and_none_without_one(service):
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": "+12125551234"}, headers=service.headers("dave"))
    sms_id = service.publish(SmsRequested(to_user_id="dave", body="Paid!", kind="notice", requested_by="issuer")).id
    assert service.wait_text("issuer", SmsRequested.sms_id(sms_id), "delivered")["to"] == "+12125551234"
    nobody = service.publish(SmsRequested(to_user_id="erin", body="Paid!", kind="notice", requested_by="issuer")).id
    text = service.wait_text("issuer", SmsRequested.sms_id(nobody), "suppressed")
    assert text["error_code"] == "no_contact" and text["to"] is None


def test_the_list_is_paginated_newest_first(service):
    ids = [ask(service, body=f"text {n}") for n in range(3)]
    for sms_id in ids:
        service.wait_text("issuer", sms_id, "delivered")
    headers = service.headers("issuer")
    first = service.http.get(f"{service.url}/v1/sms", params={"limit": 2}, headers=headers).json()
    assert first["has_more"] is True and len(first["data"]) == 2
    rest = service.http.get(f"{service.url}/v1/sms", params={"limit": 2, "starting_after": first["data"][-1]["id"]}, headers=headers).json()
    assert rest["has_more"] is False
    assert {t["id"] for t in first["data"] + rest["data"]} == set(ids)
    assert service.http.get(f"{service.url}/v1/sms", params={"limit": 0}, headers=headers).status_code == 422
