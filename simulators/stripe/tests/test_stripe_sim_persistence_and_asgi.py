"""State persisted to --state-file across restarts; the ASGI app under uvicorn; the CLI contract."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
import stripe

from stripe_sim.testing import Receiver, SimProcess, SimServer, make_client


def test_state_file_survives_restart(tmp_path):
    state = tmp_path / "stripe.json"
    first = SimProcess("--state-file", str(state))
    try:
        c = make_client(first.url)
        cus = c.v1.customers.create(params={"email": "keep@example.com"})
        pi = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": cus.id,
                                                 "payment_method": "pm_card_visa", "confirm": True},
                                         options={"idempotency_key": "persist-1"})
        c.v1.refunds.create(params={"payment_intent": pi.id, "amount": 400})
    finally:
        first.stop()
    assert state.exists() and state.stat().st_size > 0
    second = SimProcess("--state-file", str(state))
    try:
        c = make_client(second.url)
        assert c.v1.customers.retrieve(cus.id).email == "keep@example.com"
        again = c.v1.payment_intents.retrieve(pi.id)
        assert again.status == "succeeded"
        assert c.v1.charges.retrieve(again.latest_charge).amount_refunded == 400
        assert [p.id for p in c.v1.payment_intents.list(params={"customer": cus.id}).data] == [pi.id]
        replay = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": cus.id,
                                                     "payment_method": "pm_card_visa", "confirm": True},
                                             options={"idempotency_key": "persist-1"})
        assert replay.id == pi.id
        assert c.v1.events.list(params={"type": "refund.created"}).data
        # Still growing after the reload.
        more = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": cus.id})
        assert [p.id for p in c.v1.payment_intents.list(params={"customer": cus.id}).data] == [more.id, pi.id]
    finally:
        second.stop()


def test_asgi_app_under_uvicorn(receiver):
    server = SimServer(asgi=True).start()
    try:
        c = make_client(server.url)
        ep = c.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
        pi = c.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
                                                 "confirm": True})
        assert pi.status == "succeeded"
        (hit,) = receiver.wait_for(Receiver.of_type("payment_intent.succeeded", pi.id))
        stripe.Webhook.construct_event(hit.body, hit.headers["stripe-signature"], ep.secret)
        session = c.v1.checkout.sessions.create(params={"mode": "payment", "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 900, "product_data": {"name": "x"}}}]})
        assert httpx.get(session.url).status_code == 200
    finally:
        server.stop()


def test_cli_rejects_bad_secret():
    out = subprocess.run([sys.executable, "-m", "stripe_sim", "--webhook-url", "http://127.0.0.1:9/",
                          "--webhook-secret", "nope"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "whsec_" in out.stderr


def test_http_keep_alive_and_pipelining(sim_server):
    import socket

    with socket.create_connection(("127.0.0.1", sim_server.port)) as s:
        req = (b"GET /v1/customers?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_x\r\n\r\n")
        s.sendall(req + req)
        data = b""
        while data.count(b"HTTP/1.1 200") < 2:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    with httpx.Client() as h:
        for _ in range(3):
            assert h.get(f"{sim_server.url}/v1/customers", auth=("sk_test_x", "")).status_code == 200
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{sim_server.port}/v1/customers", headers={"Authorization": "x"}).raise_for_status()


def test_latency_holds_answers_back_but_does_the_work(start_sim):
    server = start_sim(latency_s=0.5)

    def client(timeout_s: float) -> stripe.StripeClient:
        return stripe.StripeClient(
            "sk_test_latency", base_addresses={"api": server.url}, http_client=stripe.HTTPXClient(timeout=timeout_s, allow_sync_methods=True), max_network_retries=0
        )

    params = {"amount": 2000, "currency": "usd"}
    with pytest.raises(stripe.APIConnectionError):
        client(0.1).v1.payment_intents.create(params=params, options={"idempotency_key": "slow-1"})
    # The request was done though its answer came too late: the same key gets the same intent.
    replayed = client(5).v1.payment_intents.create(params=params, options={"idempotency_key": "slow-1"})
    assert [pi.id for pi in client(5).v1.payment_intents.list().data] == [replayed.id]
    # Switched off while running: answers come at once again.
    assert httpx.post(server.url + "/_sim/latency", params={"seconds": 0}).json() == {"latency_s": 0.0}
    assert client(0.1).v1.payment_intents.retrieve(replayed.id).id == replayed.id
