"""Billing's background work on the kit's queue, as an operator sees it.

- A stored Stripe event that keeps failing (it must be re-read from a Stripe that does not
  answer) ends `failed`, is listed by the admin API with its error, and once Stripe is back an
  admin's retry processes it: the payment moves.
- A Stripe task is done as soon as it is asked for: the runner is woken by the transaction that
  enqueued it, not found by its poll (set to an hour here).
- Only admins see or retry background work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid

import aio_pika
import httpx
import pytest

from settle_contracts import Envelope
from settle_contracts.bookings import BookingRefundRequested
from settle_kit.bus.messages import build_message
from settle_testing.platform import start_platform
from support import eventually
from test_payments import conversation_between, create_payment, payment_status, signed_post, stripe_client, wait_status


@pytest.fixture(scope="module")
def quiet_platform():
    """The simulator sends no webhooks (the test sends the ones it wants); events give up after
    two attempts; the Stripe task queue is polled once an hour, so only a wake-up runs a task soon."""
    running = start_platform(
        {
            "BILLING_STRIPE_TIMEOUT_S": "1",
            "BILLING_STRIPE_MAX_RETRIES": "0",
            "BILLING_STRIPE_EVENT_MAX_ATTEMPTS": "2",
            "BILLING_STRIPE_TASKS_INTERVAL_S": "3600",
        },
        stripe_webhooks=False,
    )
    yield running
    os.kill(running.processes["stripe"].pid, signal.SIGCONT)
    running.stop()


def admin_get(platform, path: str, **params) -> httpx.Response:
    return httpx.get(platform.gateway_url + path, params=params, headers=platform.headers("root", "admin"))


def listed(platform, path: str, status: str) -> dict[str, dict]:
    response = admin_get(platform, path, status=status, limit=100)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["data"]}


def intent_event(intent_id: str, status: str) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": f"payment_intent.{status}",
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status}},
    }


def paid_at_stripe(platform, title: str) -> dict:
    """A payment whose card Stripe took; billing has not heard of it (no webhooks here)."""
    project, conversation = conversation_between(platform, "ann", "ben", title)
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 2500, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    stripe_client(platform).v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    return payment


def test_a_stored_event_that_keeps_failing_is_listed_as_failed_and_processed_when_retried(quiet_platform):
    platform = quiet_platform
    payment = paid_at_stripe(platform, "Dead event")
    # `processing` is not final: billing must re-read the PaymentIntent, and Stripe does not answer.
    event = intent_event(payment["stripe_payment_intent_id"], "processing")
    simulator = platform.processes["stripe"].pid
    os.kill(simulator, signal.SIGSTOP)
    try:
        assert signed_post(platform, event).status_code == 200
        failed = eventually(lambda: listed(platform, "/v1/admin/stripe-events", "failed").get(event["id"]), timeout=60)
        assert failed["type"] == "payment_intent.processing"
        assert failed["attempts"] == 2 and failed["status"] == "failed" and failed["processed_at"] is None
        assert failed["last_error"]
        assert event["id"] not in listed(platform, "/v1/admin/stripe-events", "pending")
        assert payment_status(platform, "ann", payment["id"]) == "requires_payment"
    finally:
        os.kill(simulator, signal.SIGCONT)

    retry = httpx.post(f"{platform.gateway_url}/v1/admin/stripe-events/{event['id']}/retry", headers=platform.headers("root", "admin"))
    assert retry.status_code == 202, retry.text
    # Re-read from Stripe, which says the card was taken.
    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"
    processed = eventually(lambda: listed(platform, "/v1/admin/stripe-events", "processed").get(event["id"]))
    assert processed["processed_at"] is not None
    assert event["id"] not in listed(platform, "/v1/admin/stripe-events", "failed")
    again = httpx.post(f"{platform.gateway_url}/v1/admin/stripe-events/{event['id']}/retry", headers=platform.headers("root", "admin"))
    assert (again.status_code, again.json()["code"]) == (409, "already_processed")
    missing = httpx.post(f"{platform.gateway_url}/v1/admin/stripe-events/evt_never/retry", headers=platform.headers("root", "admin"))
    assert (missing.status_code, missing.json()["code"]) == (404, "stripe_event_not_found")


def test_a_stripe_task_runs_as_soon_as_it_is_asked_for(quiet_platform):
    platform = quiet_platform
    payment = paid_at_stripe(platform, "Woken task")
    assert signed_post(platform, intent_event(payment["stripe_payment_intent_id"], "succeeded")).status_code == 200
    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"

    # As bookings would ask for a late payment to be refunded: billing enqueues a Stripe task.
    publish(platform, BookingRefundRequested(booking_id=f"bkg_{uuid.uuid4().hex}", payment_id=payment["id"], reason="late_payment"))
    # The queue's poll is an hour away: only the enqueuing transaction's wake-up gets it done now.
    assert wait_status(platform, "ann", payment["id"], "refunded") == "refunded"
    done = [task for task in listed(platform, "/v1/admin/stripe-tasks", "done").values() if task["payment_id"] == payment["id"]]
    assert [(task["kind"], task["outcome"]) for task in done if task["kind"] == "refund_payment"] == [("refund_payment", "refunded")]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/admin/stripe-events"),
        ("POST", "/v1/admin/stripe-events/evt_x/retry"),
        ("GET", "/v1/admin/stripe-tasks"),
        ("POST", "/v1/admin/stripe-tasks/stk_x/retry"),
    ],
)
def test_only_admins_see_or_retry_background_work(quiet_platform, method: str, path: str):
    url = quiet_platform.gateway_url + path
    anonymous = httpx.request(method, url)
    assert anonymous.status_code == 401
    user = httpx.request(method, url, headers=quiet_platform.headers("ann"))
    assert (user.status_code, user.headers["content-type"]) == (403, "application/problem+json")
    # Called directly with a user's token, billing refuses too.
    direct = httpx.request(method, quiet_platform.service_urls["billing"] + path, headers=quiet_platform.headers("ann"))
    assert direct.status_code == 403


def publish(platform, event) -> None:
    """As bookings' relay would."""

    async def send() -> None:
        connection = await aio_pika.connect(platform.namespace.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(platform.namespace.topology.events_exchange)
            envelope = Envelope.wrap(event, producer="bookings").model_dump(mode="json")
            await exchange.publish(build_message(envelope, {}), routing_key=event.event_type)
        finally:
            await connection.close()

    asyncio.run(send())
