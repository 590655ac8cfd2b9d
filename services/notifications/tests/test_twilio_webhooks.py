"""Status callbacks and inbound texts: signed by Twilio, checked against our public URL."""

import asyncio
import json
import time

import aio_pika
import httpx
from twilio.request_validator import RequestValidator

from settle_contracts.notifications import SmsRequested

ALICE = "+14155552671"
OUR_NUMBER = "+15005550006"


def ask(service, to_phone=ALICE, body="Hi! Your balance of $30.00 is ready."):
    envelope = service.publish(SmsRequested(to_phone=to_phone, body=body, kind="confirmation", requested_by="issuer",
                                            reference_type="invoice", reference_id="inv_9"))
    return SmsRequested.sms_id(envelope.id)


def post_signed(service, path: str, params: dict, token: str | None = None) -> httpx.Response:
    url = f"{service.settings.public_url}{path}"
    token = token or service.settings.twilio_auth_token.get_secret_value()
    signature = RequestValidator(token).compute_signature(url, params)
    return service.http.post(url, data=params, headers={"X-Twilio-Signature": signature})


def test_a_forged_status_callback_is_403_and_changes_nothing(service):
    service.twilio.settings(auto_advance=False)
    sms_id = ask(service)
    text = service.wait_text("issuer", sms_id, "sent")
    sid = service.twilio.messages(To=ALICE)[0]["sid"]
    path = f"/v1/webhooks/twilio/status?sms_id={sms_id}"
    forged = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30008", "To": ALICE, "From": OUR_NUMBER}
    assert post_signed(service, path, forged, token="not-our-token").status_code == 403
    unsigned = service.http.post(f"{service.url}{path}", data=forged)
    assert unsigned.status_code == 403 and unsigned.json()["code"] == "invalid_signature"
    # The signature covers the URL: one made for another SMS does not move this one.
    other = post_signed(service, f"/v1/webhooks/twilio/status?sms_id={sms_id}x", forged)
    tampered = service.http.post(f"{service.url}{path}", data=forged, headers={"X-Twilio-Signature": other.request.headers["X-Twilio-Signature"]})
    assert tampered.status_code == 403
    assert service.text("issuer", sms_id) == text
    # Twilio's own signature is accepted.
    assert post_signed(service, path, {**forged, "MessageStatus": "delivered", "ErrorCode": ""}).status_code == 204
    assert service.text("issuer", sms_id)["status"] == "delivered"


def test_out_of_order_callbacks_never_move_a_status_back(service):
    # The simulator holds a message's callbacks and sends them newest first: delivered, sent, sending.
    service.twilio.settings(reorder_callbacks=True)
    sms_id = ask(service)
    service.wait_text("issuer", sms_id, "delivered")
    sid = service.twilio.messages(To=ALICE)[0]["sid"]
    deadline = time.monotonic() + 10
    while len(service.twilio.webhooks(kind="status_callback", MessageSid=sid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    statuses = [w["params"]["MessageStatus"] for w in service.twilio.webhooks(kind="status_callback", MessageSid=sid)]
    assert statuses == ["delivered", "sent", "sending"]
    assert service.text("issuer", sms_id)["status"] == "delivered"


def test_an_undelivered_report_keeps_its_error_code_and_a_later_delivered_does_not_change_it(service):
    service.twilio.set_outcome(ALICE, "undelivered", 30005)
    sms_id = ask(service)
    text = service.wait_text("issuer", sms_id, "undelivered")
    assert text["error_code"] == "30005"
    sid = service.twilio.messages(To=ALICE)[0]["sid"]
    params = {"MessageSid": sid, "MessageStatus": "delivered", "To": ALICE, "From": OUR_NUMBER}
    assert post_signed(service, f"/v1/webhooks/twilio/status?sms_id={sms_id}", params).status_code == 204
    assert service.text("issuer", sms_id) == text


def test_stop_then_start(service):
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": ALICE}, headers=service.headers("alice"))
    answer = service.twilio.inbound(ALICE, OUR_NUMBER, "Stop")
    assert answer["webhook"]["response_status"] == 200
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("alice")).json()["opted_out"] is True
    held = ask(service, body="While opted out")
    assert service.wait_text("issuer", held, "suppressed")["error_code"] == "opted_out"

    service.twilio.inbound(ALICE, OUR_NUMBER, "START")
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("alice")).json()["opted_out"] is False
    again = ask(service, body="Welcome back")
    service.wait_text("issuer", again, "delivered")
    assert [m["body"] for m in service.twilio.messages(To=ALICE, Direction="outbound-api")] == ["Welcome back"]


def test_help_answers_the_help_text(service):
    answer = service.twilio.inbound(ALICE, OUR_NUMBER, "help")
    assert answer["webhook"]["response_status"] == 200
    assert service.settings.help_text in answer["webhook"]["response_body"]
    assert "<Message>" in answer["webhook"]["response_body"]


def test_a_forged_inbound_stop_is_403_and_opts_nobody_out(service):
    service.http.put(f"{service.url}/v1/me/contact", json={"phone": ALICE}, headers=service.headers("alice"))
    params = {"MessageSid": "SM" + "1" * 32, "From": ALICE, "To": OUR_NUMBER, "Body": "STOP"}
    assert post_signed(service, "/v1/webhooks/twilio/inbound", params, token="forged").status_code == 403
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("alice")).json()["opted_out"] is False


def test_a_reply_is_published_with_the_sms_it_answers(service):
    received = asyncio.run(_listen(service, "notifications.sms.received", lambda: _reply_flow(service)))
    sms_id, replies = received
    assert len(replies) == 1
    reply = replies[0]["data"]
    assert reply["in_reply_to"] == sms_id and reply["body"] == "Can I pay on Friday?"
    assert (reply["from_phone"], reply["requested_by"], reply["reference_type"], reply["reference_id"]) == (ALICE, "issuer", "invoice", "inv_9")


def _reply_flow(service):
    older = ask(service, body="First")
    service.wait_text("issuer", older, "delivered")
    sms_id = ask(service, body="Second")
    service.wait_text("issuer", sms_id, "delivered")
    answer = service.twilio.inbound(ALICE, OUR_NUMBER, "Can I pay on Friday?")
    # Twilio posting the same message again records it once.
    webhook = service.twilio.webhooks(kind="inbound")[-1]
    again = service.http.post(webhook["url"], data=webhook["params"], headers={"X-Twilio-Signature": webhook["signature"]})
    assert answer["webhook"]["response_status"] == 200 and again.status_code == 200
    return sms_id


async def _listen(service, event_type: str, act):
    """Binds a queue of our own to `event_type`, runs `act` (in a thread), returns what came."""
    connection = await aio_pika.connect(service.namespace.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await service.namespace.topology.declare_events_exchange(channel)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, event_type)
        result = await asyncio.to_thread(act)
        events = []
        for _ in range(100):
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                if events:
                    await asyncio.sleep(0.3)
                    if (extra := await queue.get(no_ack=True, fail=False)) is not None:
                        events.append(json.loads(extra.body))
                    break
                await asyncio.sleep(0.05)
                continue
            events.append(json.loads(message.body))
        return result, events
