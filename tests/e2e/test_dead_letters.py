"""Dead letters through the gateway: every service's, listed for admins, replayed once through the
inbox, or discarded with a record of who did it."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import aio_pika
import httpx
import pytest

from settle_contracts import Envelope
from settle_contracts.notifications import SmsRequested
from settle_kit.bus.messages import ERROR_HEADER, build_message
from twilio_sim.control_client import SimulatorControl

from support import PROBLEM, eventually


def send_raw(platform, body: bytes, *, queue: str, dead: bool, headers: dict | None = None) -> None:
    """Straight to a service's queue (as if the broker delivered it), or to its dead queue (as if
    its consumer had given up on it)."""
    topology = platform.namespace.topology

    async def send() -> None:
        connection = await aio_pika.connect(platform.namespace.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            message = aio_pika.Message(body=body, headers=headers or {}, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            if dead:
                exchange = await channel.get_exchange(topology.dead_exchange)
                await exchange.publish(message, routing_key=topology.queue(queue))
            else:
                await channel.default_exchange.publish(message, routing_key=topology.queue(queue))

    # In a thread of its own: a caller may be running an event loop already (Playwright's).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send()).result()


def dead_letters(platform, **params) -> list[dict]:
    answer = httpx.get(f"{platform.gateway_url}/v1/admin/dead-letters", params=params, headers=platform.headers("ops", "admin"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def dead_letter_of(platform, event_id: str, **params) -> dict | None:
    return next((d for d in dead_letters(platform, **params) if d["event_id"] == event_id), None)


def park_sms_request(platform, phone: str) -> Envelope:
    """A notifications request its consumer gave up on (say Twilio refused it while misconfigured)."""
    envelope = Envelope.wrap(SmsRequested(to_phone=phone, body="Replayed", kind="confirmation", requested_by="ops"), producer="billing")
    message = build_message(envelope.model_dump(mode="json"), {})
    send_raw(platform, message.body, queue="notifications", dead=True, headers={ERROR_HEADER: "RuntimeError('twilio misconfigured')"})
    return envelope


def test_a_dead_letter_is_listed_replayed_once_and_discarded(platform):
    twilio = SimulatorControl(platform.twilio_url)
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    envelope = park_sms_request(platform, phone)
    letter = eventually(lambda: dead_letter_of(platform, str(envelope.id), service="notifications"))
    assert letter, "the dead letter was never kept"
    assert letter["id"].startswith("notifications.")
    assert (letter["service"], letter["type"], letter["error"]) == ("notifications", "notifications.sms.requested", "RuntimeError('twilio misconfigured')")
    assert letter["payload"]["data"]["to_phone"] == phone and letter["dead_at"]
    assert dead_letter_of(platform, str(envelope.id), service="billing") is None
    assert dead_letter_of(platform, str(envelope.id)) is not None  # across every service
    assert twilio.messages(To=phone) == []

    url = f"{platform.gateway_url}/v1/admin/dead-letters/{letter['id']}"
    admin = platform.headers("ops", "admin")
    assert httpx.post(f"{url}/replay", headers=admin).status_code == 202
    assert eventually(lambda: twilio.messages(To=phone), timeout=30), "the replayed request was never handled"
    # Twice: the inbox knows the event, so there is no second text.
    assert httpx.post(f"{url}/replay", headers=admin).status_code == 202
    assert dead_letter_of(platform, str(envelope.id)) is None  # no longer waiting
    assert len(twilio.messages(To=phone)) == 1
    time.sleep(2)
    assert len(twilio.messages(To=phone)) == 1

    discarded = httpx.delete(url, headers=admin)
    assert discarded.status_code == 204
    every = httpx.get(f"{platform.gateway_url}/v1/admin/dead-letters", params={"service": "notifications"}, headers=admin).json()["data"]
    assert all(d["id"] != letter["id"] for d in every)
    refused = httpx.post(f"{url}/replay", headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "dead_letter_discarded")
    twilio.close()


def test_discard_records_who_and_unreadable_messages_are_kept_with_why(platform):
    send_raw(platform, b"\xff not an event", queue="bookings", dead=False)
    letter = eventually(lambda: next((d for d in dead_letters(platform, service="bookings") if d["payload"] == "\ufffd not an event"), None))
    assert letter, "the unreadable message was never kept"
    assert "ValidationError" in letter["error"] or "json" in letter["error"].lower(), letter
    admin = platform.headers("ops-ann", "admin")
    assert httpx.delete(f"{platform.gateway_url}/v1/admin/dead-letters/{letter['id']}", headers=admin).status_code == 204
    # The discard is kept: who and when.
    kept = httpx.get(f"{platform.gateway_url}/v1/admin/dead-letters", params={"state": "all", "service": "bookings"}, headers=admin).json()["data"]
    mine = next(d for d in kept if d["id"] == letter["id"])
    assert mine["discarded_by"] == "ops-ann" and mine["discarded_at"]
    assert all(d["id"] != letter["id"] for d in dead_letters(platform, service="bookings"))


@pytest.mark.parametrize("id_", ["nope", "billing.not-a-uuid", f"ledger.{uuid.uuid4()}", f"billing.{uuid.uuid4()}"])
def test_unknown_dead_letters_are_404(platform, id_):
    admin = platform.headers("ops", "admin")
    for answer in (httpx.post(f"{platform.gateway_url}/v1/admin/dead-letters/{id_}/replay", headers=admin),
                   httpx.delete(f"{platform.gateway_url}/v1/admin/dead-letters/{id_}", headers=admin)):
        assert (answer.status_code, answer.headers["content-type"], answer.json()["code"]) == (404, PROBLEM, "dead_letter_not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/admin/dead-letters"), ("POST", f"/v1/admin/dead-letters/billing.{uuid.uuid4()}/replay"),
     ("DELETE", f"/v1/admin/dead-letters/billing.{uuid.uuid4()}")],
)
def test_only_admins_see_or_touch_dead_letters(platform, method, path):
    url = platform.gateway_url + path
    assert httpx.request(method, url).status_code == 401
    user = httpx.request(method, url, headers=platform.headers("ann"))
    assert (user.status_code, user.headers["content-type"]) == (403, PROBLEM)
    # Each service refuses a user's token too.
    direct = httpx.request(method, platform.service_urls["billing"] + path.replace("/v1/admin/dead-letters", "/internal/dead-letters").replace("billing.", ""),
                           headers=platform.headers("ann"))
    assert direct.status_code == 403


def test_a_service_that_does_not_answer_is_named_and_the_others_listed(platform):
    park_sms_request(platform, f"+1415555{uuid.uuid4().int % 10_000:04d}")
    assert eventually(lambda: dead_letters(platform, service="notifications"))
    bookings = platform.processes["bookings"].pid
    os.kill(bookings, signal.SIGSTOP)
    try:
        answer = httpx.get(f"{platform.gateway_url}/v1/admin/dead-letters", headers=platform.headers("ops", "admin"), timeout=30)
        alone = httpx.get(f"{platform.gateway_url}/v1/admin/dead-letters", params={"service": "bookings"},
                          headers=platform.headers("ops", "admin"), timeout=30)
    finally:
        os.kill(bookings, signal.SIGCONT)
    assert answer.status_code == 200 and answer.json()["unavailable"] == ["bookings"]
    assert {d["service"] for d in answer.json()["data"]} >= {"notifications"}
    assert (alone.status_code, alone.headers["content-type"]) == (503, PROBLEM)
