"""Notifications through the gateway, with the Twilio simulator's signed callbacks and inbound
texts arriving through the gateway too."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from settle_contracts import Envelope
from settle_contracts.notifications import SmsRequested
from settle_kit.bus.messages import build_message
from twilio_sim.control_client import SimulatorControl

from support import eventually

OUR_NUMBER = "+15005550006"


def fresh_number() -> str:
    """A Los Angeles number of its own for each test (the platform's simulator is shared)."""
    return f"+1415555{uuid.uuid4().int % 10_000:04d}"


@pytest.fixture
def twilio(platform):
    control = SimulatorControl(platform.twilio_url)
    yield control
    control.settings(auto_advance=True)
    control.close()


def publish(platform, event, producer: str = "billing") -> Envelope:
    envelope = Envelope.wrap(event, producer=producer)

    async def send() -> None:
        import aio_pika

        connection = await aio_pika.connect(platform.namespace.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await platform.namespace.topology.declare_events_exchange(channel)
            await exchange.publish(build_message(envelope.model_dump(mode="json"), {}), envelope.type)

    asyncio.run(send())
    return envelope


def text(platform, user: str, wanted: str) -> dict | None:
    answer = httpx.get(f"{platform.gateway_url}/v1/sms", params={"limit": 100}, headers=platform.headers(user), timeout=10)
    if answer.status_code != 200:
        return None
    return next((t for t in answer.json()["data"] if t["id"] == wanted), None)


def wait_status(platform, user: str, wanted: str, status: str, timeout: float = 30) -> dict | None:
    return eventually(lambda: (t := text(platform, user, wanted)) and t["status"] == status and t, timeout=timeout) or text(platform, user, wanted)


def test_contact_text_callbacks_and_stop_through_the_gateway(platform, twilio):
    phone = fresh_number()
    put = httpx.put(f"{platform.gateway_url}/v1/me/contact", json={"phone": phone}, headers=platform.headers("nina"))
    assert put.status_code == 200 and put.json()["phone"] == phone
    landline = httpx.put(f"{platform.gateway_url}/v1/me/contact", json={"phone": "+442071838750"}, headers=platform.headers("nina"))
    assert landline.status_code == 422 and landline.json()["errors"][0]["field"] == "phone"

    envelope = publish(platform, SmsRequested(to_user_id="nina", body="Hi Nina!", kind="confirmation", requested_by="nina"))
    delivered = wait_status(platform, "nina", SmsRequested.sms_id(envelope.id), "delivered")
    assert delivered["status"] == "delivered", delivered  # Twilio's signed callbacks reached us through the gateway
    assert len(twilio.messages(To=phone)) == 1

    twilio.inbound(phone, OUR_NUMBER, "STOP")
    contact = httpx.get(f"{platform.gateway_url}/v1/me/contact", headers=platform.headers("nina")).json()
    assert contact["opted_out"] is True
    forged = httpx.post(f"{platform.gateway_url}/v1/webhooks/twilio/inbound", data={"From": phone, "Body": "START", "MessageSid": "SM1"},
                        headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403
    assert httpx.get(f"{platform.gateway_url}/v1/me/contact", headers=platform.headers("nina")).json()["opted_out"] is True


def test_notifications_killed_after_twilio_took_the_message_sends_it_once(platform, twilio):
    phone = fresh_number()
    # Twilio takes the message at once but answers late, and reports nothing on its own.
    twilio.settings(auto_advance=False)
    twilio.slow_answers(1, seconds=60)
    envelope = publish(platform, SmsRequested(to_phone=phone, body="Exactly once", kind="confirmation", requested_by="olga"))
    wanted = SmsRequested.sms_id(envelope.id)
    assert eventually(lambda: twilio.messages(To=phone), timeout=30), "Twilio never got the message"

    os.killpg(platform.processes["notifications"].pid, signal.SIGKILL)
    platform.processes["notifications"].wait()
    # Restarted with a short wait for an unconfirmed attempt: once it passes, Twilio's list finds it.
    platform.start_process("notifications", "notifications", extra_env={"NOTIFICATIONS_UNCONFIRMED_RETRY_AFTER_S": "1"})

    sent = wait_status(platform, "olga", wanted, "sent", timeout=60)
    assert sent and sent["status"] == "sent", sent
    messages = twilio.messages(To=phone)
    assert len(messages) == 1
    # Twilio's callbacks (through the gateway) finish it.
    twilio.set_status(messages[0]["sid"], "sent")
    twilio.set_status(messages[0]["sid"], "delivered")
    assert wait_status(platform, "olga", wanted, "delivered")["status"] == "delivered"
    assert len(twilio.messages(To=phone)) == 1


def test_a_scheduled_booking_is_texted_to_who_registered_a_phone(platform, twilio):
    from test_bookings import become_expert, paid_booking, someone

    requester, expert = someone("texted"), someone("expert")
    phone = fresh_number()
    assert httpx.put(f"{platform.gateway_url}/v1/me/contact", json={"phone": phone}, headers=platform.headers(requester)).status_code == 200
    become_expert(platform, expert, amount=100)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    booking = paid_booking(platform, requester, expert, start, minutes=30)

    def booking_text():
        answer = httpx.get(f"{platform.gateway_url}/v1/sms", headers=platform.headers(requester)).json()["data"]
        return next((t for t in answer if t["reference_id"] == booking["id"] and t["status"] == "delivered"), None)

    found = eventually(booking_text, timeout=30)
    assert found, httpx.get(f"{platform.gateway_url}/v1/sms", headers=platform.headers(requester)).json()
    assert "is confirmed. Price: $30.00." in found["body"]
    assert [m["body"] for m in twilio.messages(To=phone)] == [found["body"]]
    assert httpx.get(f"{platform.gateway_url}/v1/sms", headers=platform.headers(expert)).json()["data"] == []
