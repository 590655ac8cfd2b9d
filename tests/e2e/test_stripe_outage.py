"""Stripe stops answering (the simulator is stopped with SIGSTOP: connections open, no reply, as in
a network partition) while payments and refunds are asked for.

Billing must stay up: its other endpoints and webhook intake answer promptly, requests that need
Stripe fail fast with 503 + Retry-After, and once Stripe answers again every operation that was
decided completes exactly once (Stripe's own state shows one PaymentIntent per payment and the
refund once), with no payment left without its PaymentIntent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from settle_testing.platform import start_platform
from support import eventually
from test_payments import conversation_between, create_payment, stripe_client, wait_status

PAYMENTS = 8
PROMPT_S = 2.0  # a generous bound for an answer that needs no Stripe call


@pytest.fixture(scope="module")
def outage_platform():
    running = start_platform(
        {
            "BILLING_STRIPE_TIMEOUT_S": "1",
            "BILLING_STRIPE_BREAKER_THRESHOLD": "3",
            "BILLING_STRIPE_BREAKER_RESET_S": "2",
            "BILLING_STRIPE_TASKS_INTERVAL_S": "0.5",
            # Few connections, so that any held across a Stripe call would starve everything else.
            "BILLING_DATABASE_POOL_SIZE": "6",
        }
    )
    yield running
    os.kill(running.processes["stripe"].pid, signal.SIGCONT)
    running.stop()


def signed(platform, event: dict) -> tuple[bytes, dict]:
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    secret = platform.env["STRIPE_WEBHOOK_SECRET"]
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


def timed(call) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = call()
    return response, time.monotonic() - began


def test_a_stripe_outage_fails_fast_keeps_billing_up_and_completes_every_decided_operation_once(outage_platform):
    platform = outage_platform
    gw = platform.gateway_url
    project, conversation = conversation_between(platform, "ann", "ben", "Outage")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    paid = create_payment(platform, "ann", body).json()
    stripe_client(platform).v1.payment_intents.confirm(paid["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    assert wait_status(platform, "ann", paid["id"], "succeeded") == "succeeded"

    simulator = platform.processes["stripe"].pid
    os.kill(simulator, signal.SIGSTOP)
    try:
        payment_keys = [str(uuid.uuid4()) for _ in range(PAYMENTS)]
        refund_key = str(uuid.uuid4())

        def pay(key: str) -> httpx.Response:
            return httpx.post(gw + "/v1/payments", json=body, headers={**platform.headers("ann"), "Idempotency-Key": key}, timeout=30)

        def refund() -> httpx.Response:
            return httpx.post(
                gw + f"/v1/payments/{paid['id']}/refunds", json={"amount": 1000},
                headers={**platform.headers("ben"), "Idempotency-Key": refund_key}, timeout=30,
            )

        with ThreadPoolExecutor(PAYMENTS + 1) as pool:
            needing_stripe = [pool.submit(timed, lambda k=k: pay(k)) for k in payment_keys] + [pool.submit(timed, refund)]
            time.sleep(0.3)  # the Stripe calls are in flight now, hanging
            event = {"id": f"evt_{uuid.uuid4().hex}", "type": "customer.created", "data": {"object": {"id": "cus_x"}}}
            payload, headers = signed(platform, event)
            prompt = {
                "balance": timed(lambda: httpx.get(gw + "/v1/balance", headers=platform.headers("ann"), timeout=30)),
                "payments": timed(lambda: httpx.get(gw + "/v1/payments", headers=platform.headers("ann"), timeout=30)),
                "webhook": timed(lambda: httpx.post(gw + "/v1/webhooks/stripe", content=payload, headers=headers, timeout=30)),
            }
            answers = [future.result() for future in needing_stripe]

        for name, (response, took) in prompt.items():
            assert response.status_code == 200, (name, response.text)
            assert took < PROMPT_S, f"{name} took {took:.2f}s while Stripe hung"
        for response, took in answers:
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["code"] == "stripe_unavailable"
            assert took < 8, f"a request needing Stripe took {took:.2f}s to fail"
        # The circuit is open now: the next request needing Stripe does not wait at all.
        fast, took = timed(lambda: pay(str(uuid.uuid4())))
        assert fast.status_code == 503 and took < PROMPT_S
    finally:
        os.kill(simulator, signal.SIGCONT)

    admin = platform.headers("ops", "admin")

    def ann_payments() -> list[dict]:
        listed = httpx.get(gw + "/v1/payments", params={"payer_id": "ann", "limit": 100}, headers=admin).json()["data"]
        return [p for p in listed if p["id"] != paid["id"]]

    # Every decided payment gets its PaymentIntent in the background, with nobody retrying.
    decided = eventually(lambda: (ps := ann_payments()) and all(p["stripe_payment_intent_id"] for p in ps) and ps, timeout=60)
    assert decided, [p for p in ann_payments() if not p["stripe_payment_intent_id"]]
    assert len(decided) == PAYMENTS + 1  # the one refused by the open circuit was decided too
    assert all(p["status"] == "requires_payment" for p in decided)

    # A client retrying with the same key gets the same payment and refund, never a second one.
    again = httpx.post(gw + "/v1/payments", json=body, headers={**platform.headers("ann"), "Idempotency-Key": payment_keys[0]})
    assert again.status_code == 201, again.text
    assert again.json()["id"] in {p["id"] for p in decided} and again.json()["client_secret"]
    refund_again = httpx.post(
        gw + f"/v1/payments/{paid['id']}/refunds", json={"amount": 1000}, headers={**platform.headers("ben"), "Idempotency-Key": refund_key}
    )
    assert refund_again.status_code == 201, refund_again.text
    assert wait_status(platform, "ann", paid["id"], "partially_refunded") == "partially_refunded"

    # Stripe's own state: one PaymentIntent per payment, the refund made once.
    client = stripe_client(platform)
    intents = [pi for pi in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()]
    per_payment: dict[str, int] = {}
    for intent in intents:
        per_payment[intent.metadata["payment_id"]] = per_payment.get(intent.metadata["payment_id"], 0) + 1
    assert {p["id"]: per_payment.get(p["id"]) for p in decided} == {p["id"]: 1 for p in decided}
    refunds = client.v1.refunds.list(params={"payment_intent": paid["stripe_payment_intent_id"]}).data
    assert [r.amount for r in refunds] == [1000]
    listed = httpx.get(gw + f"/v1/payments/{paid['id']}/refunds", headers=platform.headers("ben")).json()["data"]
    assert [(r["id"], r["amount"]) for r in listed] == [(refund_again.json()["id"], 1000)]
    assert httpx.get(gw + f"/v1/payments/{paid['id']}", headers=admin).json()["amount_refunded"] == 1000
